package io.quorumtx.examples.bank;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Creates the two tables in each bank if they are missing and opens {@code bank.accounts}
 * accounts with {@code bank.initial-balance} each in an empty bank. Portable SQL (H2, PostgreSQL,
 * MariaDB); table names prefixed so the example can share a database with other tables.
 */
@Component
public class Schema implements InitializingBean {
    public static final String ACCOUNT = "sbb_account";
    public static final String TRANSFER = "sbb_transfer";

    private final JdbcTemplate bankA;
    private final JdbcTemplate bankB;
    private final int accounts;
    private final long initialBalance;

    public Schema(@Qualifier("bankAJdbc") JdbcTemplate bankA, @Qualifier("bankBJdbc") JdbcTemplate bankB,
            @Value("${bank.accounts:10}") int accounts, @Value("${bank.initial-balance:1000}") long initialBalance) {
        this.bankA = bankA;
        this.bankB = bankB;
        this.accounts = accounts;
        this.initialBalance = initialBalance;
    }

    @Override
    public void afterPropertiesSet() {
        for (JdbcTemplate bank : new JdbcTemplate[] {bankA, bankB}) {
            bank.execute("CREATE TABLE IF NOT EXISTS " + ACCOUNT + " (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
            bank.execute("CREATE TABLE IF NOT EXISTS " + TRANSFER + " (id VARCHAR(64) PRIMARY KEY, amount BIGINT NOT NULL)");
            Integer existing = bank.queryForObject("SELECT COUNT(*) FROM " + ACCOUNT, Integer.class);
            if (existing != null && existing == 0) {
                for (int id = 0; id < accounts; id++) {
                    bank.update("INSERT INTO " + ACCOUNT + " (id, balance) VALUES (?, ?)", id, initialBalance);
                }
            }
        }
    }

    /** The money the banks started with. */
    public long initialMoney() {
        return 2L * accounts * initialBalance;
    }
}
