package io.quorumtx.examples.bank;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Moves money from an account in bank A to one in bank B, and records the transfer in both: one
 * QuorumTX transaction over two databases, demarcated by Spring's {@code @Transactional}.
 */
@Service
public class TransferService {
    private final JdbcTemplate bankA;
    private final JdbcTemplate bankB;

    public TransferService(@Qualifier("bankAJdbc") JdbcTemplate bankA, @Qualifier("bankBJdbc") JdbcTemplate bankB) {
        this.bankA = bankA;
        this.bankB = bankB;
    }

    /**
     * Debits {@code from} in bank A and credits {@code to} in bank B. An overdraft is refused after
     * both updates ran, so the refusal shows the credit in B rolled back with the debit in A.
     */
    @Transactional
    public void transfer(String transferId, int from, int to, long amount) {
        bankA.update("UPDATE " + Schema.ACCOUNT + " SET balance = balance - ? WHERE id = ?", amount, from);
        bankB.update("UPDATE " + Schema.ACCOUNT + " SET balance = balance + ? WHERE id = ?", amount, to);
        bankA.update("INSERT INTO " + Schema.TRANSFER + "(id, amount) VALUES (?, ?)", transferId, -amount);
        bankB.update("INSERT INTO " + Schema.TRANSFER + "(id, amount) VALUES (?, ?)", transferId, amount);
        Long balance = bankA.queryForObject("SELECT balance FROM " + Schema.ACCOUNT + " WHERE id = ?", Long.class, from);
        if (balance == null || balance < 0) {
            throw new InsufficientFundsException("account " + from + " of bank A cannot pay " + amount);
        }
    }

    /** The money in both banks together. */
    public long totalMoney() {
        return sum(bankA) + sum(bankB);
    }

    private static long sum(JdbcTemplate bank) {
        Long sum = bank.queryForObject("SELECT COALESCE(SUM(balance), 0) FROM " + Schema.ACCOUNT, Long.class);
        return sum == null ? 0 : sum;
    }

    /** A refused transfer; rolls the whole transaction back (a RuntimeException). */
    public static final class InsufficientFundsException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public InsufficientFundsException(String message) {
            super(message);
        }
    }
}
