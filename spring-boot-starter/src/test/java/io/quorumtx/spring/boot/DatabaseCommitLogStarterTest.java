package io.quorumtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.QuorumTransactionManager;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * {@code quorumtx.log.type=database}: the decisions of {@code @Transactional} transfers go to the
 * decision table in the database of the named DataSource bean, on its raw pool, and no local log
 * directory is made. Two applications cover both orders in which the bean factory may reach the
 * log's bean: "ordersDb" is created first (the first DataSource the transfer service needs), so its
 * own wrapping asks for the manager; with "paymentsDb" the wrapping of ordersDb asks for the
 * manager first, which must then create paymentsDb and get the manager built inside its wrapping.
 */
class DatabaseCommitLogStarterTest {
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static final AtomicInteger CONTEXTS = new AtomicInteger();

    /** The DataSources of TwoDatabasesApp, in databases of their own per context. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(TransferService.class)
    static class App {
        private final String id = RUN + "-" + CONTEXTS.incrementAndGet();

        @Bean
        HikariDataSource ordersDb() {
            HikariDataSource pool = new HikariDataSource();
            pool.setJdbcUrl(url("orders"));
            pool.setMaximumPoolSize(4);
            return pool;
        }

        @Bean
        DataSource paymentsDb() {
            JdbcDataSource h2 = new JdbcDataSource();
            h2.setURL(url("payments"));
            return h2;
        }

        @Bean
        DataSource auditDb() {
            JdbcDataSource h2 = new JdbcDataSource();
            h2.setURL(url("audit"));
            return h2;
        }

        private String url(String db) {
            return "jdbc:h2:mem:dblog-" + db + "-" + id + ";DB_CLOSE_DELAY=-1";
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

    @Test
    void transfersDecideThroughTheDecisionTableOfTheLogsBeanCreatedFirst() {
        transfersDecideThroughTheDatabaseLog("ordersDb", "paymentsDb", true);
    }

    @Test
    void transfersDecideThroughTheDecisionTableOfTheLogsBeanCreatedAfterTheManagerWasAskedFor() {
        transfersDecideThroughTheDatabaseLog("paymentsDb", "ordersDb", true);
    }

    /** An excluded bean's database holds the log with no carrier: the log's own writer commits the rows. */
    @Test
    void onAnExcludedBeanTheDecisionsAreWrittenByTheLogsOwnWriter() {
        transfersDecideThroughTheDatabaseLog("auditDb", "ordersDb", false);
    }

    private void transfersDecideThroughTheDatabaseLog(String logBean, String otherBean, boolean carried) {
        try (ConfigurableApplicationContext context = start(
                "quorumtx.log.database.datasource=" + logBean,
                // Finished decisions stay in the table for the test to see them.
                "quorumtx.log.database.delete-interval=1h",
                "quorumtx.log.database.table-prefix=txlog")) {
            JdbcTemplate orders = context.getBean("orders", JdbcTemplate.class);
            JdbcClient payments = context.getBean(JdbcClient.class);
            JdbcTemplate audit = context.getBean("audit", JdbcTemplate.class);
            orders.execute("CREATE TABLE orders(id VARCHAR(40) PRIMARY KEY)");
            payments.sql("CREATE TABLE payments(id VARCHAR(40) PRIMARY KEY)").update();
            audit.execute("CREATE TABLE audit(id VARCHAR(40) PRIMARY KEY)");
            // The log's table, read on the bean's own pool (the wrapper would do as well outside a transaction).
            DataSource logPool = carried ? context.getBean(DataSourceWrapping.class).pool(logBean)
                    : context.getBean(logBean, DataSource.class);
            assertThat(logPool).isNotNull().isNotInstanceOf(TransactionalDataSource.class);
            JdbcTemplate log = new JdbcTemplate(logPool);
            String incarnation = context.getBean(QuorumTransactionManager.class).nodeId() + ".";
            TransferService service = context.getBean(TransferService.class);

            service.springTransactional("ok-1", false);
            service.jakartaTransactional("ok-2", false);

            assertThat(count(orders, "orders", "ok-1") + count(orders, "orders", "ok-2")).isEqualTo(2);
            assertThat(count(new JdbcTemplate(context.getBean("paymentsDb", DataSource.class)), "payments", "ok-1")
                    + count(new JdbcTemplate(context.getBean("paymentsDb", DataSource.class)), "payments", "ok-2"))
                    .isEqualTo(2);
            assertThat(log.queryForObject("SELECT COUNT(*) FROM txlog_decisions WHERE decision = 'C' AND owner LIKE ?",
                    Integer.class, incarnation + "%"))
                    .as("one COMMIT row per two-database transfer, by this incarnation, in %s's database", logBean)
                    .isEqualTo(2);
            // A standalone batch counts itself in its incarnation's node row; a carried decision
            // (the row inserted inside the log database's own branch) touches no node row.
            Long batches = log.queryForObject("SELECT SUM(commit_batches) FROM txlog_nodes WHERE incarnation LIKE ?",
                    Long.class, incarnation + "%");
            if (carried) {
                assertThat(batches).as("both decisions carried by the %s wrapper's branch", logBean).isZero();
            } else {
                assertThat(batches).as("no carrier: the log's writer committed the decisions").isPositive();
            }

            assertThatThrownBy(() -> service.springTransactional("fail-1", true)).hasMessageContaining("refused");

            assertThat(count(orders, "orders", "fail-1")).as("rolled back in orders").isZero();
            assertThat(count(new JdbcTemplate(context.getBean("paymentsDb", DataSource.class)), "payments", "fail-1"))
                    .as("rolled back in payments").isZero();
            assertThat(count(audit, "audit", "fail-1")).as("the excluded database is not enlisted").isOne();
            assertThat(log.queryForObject("SELECT COUNT(*) FROM txlog_decisions WHERE decision = 'C'", Integer.class))
                    .as("a rollback writes no COMMIT").isEqualTo(2);
            assertThat(context.getBean(QuorumTransactionManager.class).logStats())
                    .as("no local log behind the manager").isEmpty();
            assertThat(tableExists(context.getBean(otherBean, DataSource.class)))
                    .as("the log's tables are only in the named bean's database").isFalse();
        }
    }

    @Test
    void anUnknownBeanNameFailsTheStartNamingTheProperty() {
        assertThatThrownBy(() -> start("quorumtx.log.database.datasource=ledgerDb").close())
                .rootCause()
                .hasMessageContaining("quorumtx.log.database.datasource")
                .hasMessageContaining("'ledgerDb'")
                .hasMessageContaining("ordersDb");
    }

    @Test
    void theDatabaseLogWithoutItsBeanFailsTheStartNamingTheProperty() {
        assertThatThrownBy(() -> start().close())
                .rootCause()
                .hasMessageContaining("quorumtx.log.database.datasource is required");
    }

    private static ConfigurableApplicationContext start(String... properties) {
        String[] all = new String[properties.length + 4];
        all[0] = "quorumtx.log.type=database";
        all[1] = "quorumtx.datasource.exclude=auditDb";
        all[2] = "quorumtx.recovery-interval=0s";
        all[3] = "spring.main.banner-mode=off";
        System.arraycopy(properties, 0, all, 4, properties.length);
        // No quorumtx.node-id and no log directory: the database log needs neither.
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).properties(all).run();
    }

    private static int count(JdbcTemplate db, String table, String id) {
        return db.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE id = ?", Integer.class, id);
    }

    private static boolean tableExists(DataSource db) {
        return new JdbcTemplate(db).queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE "
                + "LOWER(TABLE_NAME) = 'txlog_decisions'", Integer.class) > 0;
    }
}
