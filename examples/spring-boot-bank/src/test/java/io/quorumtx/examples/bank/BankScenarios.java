package io.quorumtx.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * What the bank must do on any pair of databases; each subclass is one {@code @SpringBootTest}
 * context (H2, or PostgreSQL with MariaDB), reused by all of its tests.
 */
abstract class BankScenarios {
    static final int ACCOUNTS = 10;
    static final long INITIAL = 1000;

    @Autowired
    TransferService transfers;
    @Autowired
    @Qualifier("bankAJdbc")
    JdbcTemplate bankA;
    @Autowired
    @Qualifier("bankBJdbc")
    JdbcTemplate bankB;

    /** Every test starts from full accounts and no transfers (the real databases outlive a run). */
    @BeforeEach
    void resetAccounts() {
        for (JdbcTemplate bank : List.of(bankA, bankB)) {
            bank.update("UPDATE " + Schema.ACCOUNT + " SET balance = ?", INITIAL);
            bank.update("DELETE FROM " + Schema.TRANSFER);
        }
    }

    @Test
    void aTransferDebitsOneDatabaseAndCreditsTheOther() {
        transfers.transfer("t-1", 1, 2, 10);

        assertThat(balance(bankA, 1)).isEqualTo(INITIAL - 10);
        assertThat(balance(bankB, 2)).isEqualTo(INITIAL + 10);
        assertThat(transferIds(bankA)).containsExactly("t-1");
        assertThat(transferIds(bankB)).containsExactly("t-1");
    }

    @Test
    void aRefusalInOneDatabaseRollsBackTheOther() {
        assertThatThrownBy(() -> transfers.transfer("t-overdraft", 3, 4, INITIAL + 1))
                .isInstanceOf(TransferService.InsufficientFundsException.class);

        assertThat(balance(bankB, 4)).as("bank B's credit rolled back with bank A's debit").isEqualTo(INITIAL);
        assertThat(balance(bankA, 3)).isEqualTo(INITIAL);
        assertThat(transferIds(bankA)).isEmpty();
        assertThat(transferIds(bankB)).isEmpty();
    }

    @Test
    void concurrentTransfersConserveTheMoneyAndLandInBothDatabasesOrNeither() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Boolean>> results = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                String id = "c-" + i;
                results.add(pool.submit(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    try {
                        transfers.transfer(id, r.nextInt(ACCOUNTS), r.nextInt(ACCOUNTS), 1 + r.nextInt(400));
                        return true;
                    } catch (RuntimeException e) {
                        return false; // an overdraft, or a lock wait that timed out: rolled back
                    }
                }));
            }
            long committed = 0;
            for (Future<Boolean> f : results) {
                committed += f.get(2, TimeUnit.MINUTES) ? 1 : 0;
            }

            assertThat(transfers.totalMoney()).isEqualTo(2 * ACCOUNTS * INITIAL);
            assertThat(transferIds(bankA)).hasSize((int) committed).isEqualTo(transferIds(bankB));
        } finally {
            pool.shutdownNow();
        }
    }

    static long balance(JdbcTemplate bank, int account) {
        Long b = bank.queryForObject("SELECT balance FROM " + Schema.ACCOUNT + " WHERE id = ?", Long.class, account);
        return b == null ? -1 : b;
    }

    static List<String> transferIds(JdbcTemplate bank) {
        return bank.queryForList("SELECT id FROM " + Schema.TRANSFER + " ORDER BY id", String.class);
    }
}
