package io.quorumtx.examples.bank;

import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A bank whose accounts live in two databases, "bankA" and "bankB" (two HikariCP pools bound from
 * {@code bank.a.*} and {@code bank.b.*}). The QuorumTX starter wraps both pools, so
 * {@link TransferService#transfer}'s {@code @Transactional} debits one and credits the other
 * atomically; nothing in this application mentions QuorumTX except its properties.
 */
@SpringBootApplication
public class BankApplication {

    public static void main(String[] args) {
        SpringApplication.run(BankApplication.class, args);
    }

    @Bean
    @ConfigurationProperties("bank.a")
    HikariDataSource bankA() {
        return new HikariDataSource();
    }

    @Bean
    @ConfigurationProperties("bank.b")
    HikariDataSource bankB() {
        return new HikariDataSource();
    }

    @Bean
    JdbcTemplate bankAJdbc(@Qualifier("bankA") DataSource bankA) {
        return new JdbcTemplate(bankA);
    }

    @Bean
    JdbcTemplate bankBJdbc(@Qualifier("bankB") DataSource bankB) {
        return new JdbcTemplate(bankB);
    }
}
