package io.quorumtx.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A Boot application with three DataSources of its own: a HikariCP pool ("ordersDb"), a plain H2
 * DataSource that is not a pool ("paymentsDb", its URL read through getURL()), and one excluded
 * by {@code quorumtx.datasource.exclude} ("auditDb"). Each H2 in-memory database is named per run.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(TransferService.class)
class TwoDatabasesApp {
    static final String RUN = Long.toString(System.nanoTime(), 36);

    @Bean
    HikariDataSource ordersDb() {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl("jdbc:h2:mem:orders-" + RUN + ";DB_CLOSE_DELAY=-1");
        pool.setMaximumPoolSize(4);
        return pool;
    }

    @Bean
    DataSource paymentsDb() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:payments-" + RUN + ";DB_CLOSE_DELAY=-1");
        return h2;
    }

    @Bean
    DataSource auditDb() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:audit-" + RUN + ";DB_CLOSE_DELAY=-1");
        return h2;
    }

    @Bean
    JdbcTemplate orders(@Qualifier("ordersDb") DataSource ds) {
        return new JdbcTemplate(ds);
    }

    @Bean
    JdbcClient payments(@Qualifier("paymentsDb") DataSource ds) {
        return JdbcClient.create(ds);
    }

    @Bean
    JdbcTemplate audit(@Qualifier("auditDb") DataSource ds) {
        return new JdbcTemplate(ds);
    }
}
