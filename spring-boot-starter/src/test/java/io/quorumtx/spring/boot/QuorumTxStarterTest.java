package io.quorumtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.lock.LockHandle;
import io.quorumtx.lock.LockInfo;
import io.quorumtx.tm.QuorumTransactionManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The starter in a Boot application with its own DataSource beans: one transaction spans the
 * wrapped databases through every Spring way of demarcating it and every JDBC helper, and the
 * excluded database stays out. One context for all the tests (contexts are slow to start).
 */
@SpringBootTest(classes = TwoDatabasesApp.class, properties = {
        "quorumtx.node-id=starter-test",
        "quorumtx.datasource.exclude=auditDb",
        "quorumtx.locks.datasource=ordersDb",
        "quorumtx.recovery-interval=0s"})
class QuorumTxStarterTest {
    private static Path logDir;

    @Autowired
    TransferService service;
    @Autowired
    @Qualifier("orders")
    JdbcTemplate orders;
    @Autowired
    JdbcClient payments;
    @Autowired
    @Qualifier("audit")
    JdbcTemplate audit;
    @Autowired
    TransactionTemplate transactions;
    @Autowired
    @Qualifier("paymentsDb")
    DataSource paymentsDb;
    @Autowired
    QuorumTransactionManager tm;
    @Autowired
    DatabaseLockService locks;

    @DynamicPropertySource
    static void logDirectory(DynamicPropertyRegistry registry) throws IOException {
        logDir = Files.createTempDirectory("quorumtx-starter-test");
        registry.add("quorumtx.log.directory", logDir::toString);
    }

    @BeforeAll
    static void schema(@Autowired @Qualifier("orders") JdbcTemplate orders, @Autowired JdbcClient payments,
            @Autowired @Qualifier("audit") JdbcTemplate audit) {
        orders.execute("CREATE TABLE orders(id VARCHAR(40) PRIMARY KEY)");
        payments.sql("CREATE TABLE payments(id VARCHAR(40) PRIMARY KEY)").update();
        audit.execute("CREATE TABLE audit(id VARCHAR(40) PRIMARY KEY)");
    }

    @Test
    void springTransactionalCommitsBothDatabases() {
        service.springTransactional("s-ok", false);

        assertThat(inOrders("s-ok")).isTrue();
        assertThat(inPayments("s-ok")).isTrue();
    }

    @Test
    void springTransactionalFailureRollsBackBothWrappedDatabasesButNotTheExcludedOne() {
        assertThatThrownBy(() -> service.springTransactional("s-fail", true)).hasMessageContaining("payment refused");

        assertThat(inOrders("s-fail")).as("JdbcTemplate's insert rolled back").isFalse();
        assertThat(inPayments("s-fail")).as("JdbcClient's insert rolled back").isFalse();
        assertThat(inAudit("s-fail")).as("the excluded database is not enlisted: auto-commit").isTrue();
    }

    @Test
    void jakartaTransactionalFailureRollsBackBothDatabases() {
        assertThatThrownBy(() -> service.jakartaTransactional("j-fail", true)).hasMessageContaining("payment refused");
        service.jakartaTransactional("j-ok", false);

        assertThat(inOrders("j-fail")).isFalse();
        assertThat(inPayments("j-fail")).isFalse();
        assertThat(inOrders("j-ok")).isTrue();
        assertThat(inPayments("j-ok")).isTrue();
    }

    @Test
    void transactionTemplateRollbackOnlyUndoesBothAndTheTransactionWasQuorumTxs() {
        transactions.executeWithoutResult(status -> {
            assertThat(tm.getTransaction()).as("Spring's transaction is a QuorumTX transaction").isNotNull();
            orders.update("INSERT INTO orders(id) VALUES ('t-undo')");
            payments.sql("INSERT INTO payments(id) VALUES ('t-undo')").update();
            status.setRollbackOnly();
        });

        assertThat(inOrders("t-undo")).isFalse();
        assertThat(inPayments("t-undo")).isFalse();
    }

    @Test
    void jdbiOnTheWrappedBeanJoinsTheSpringTransaction() {
        Jdbi jdbi = Jdbi.create(paymentsDb);
        assertThatThrownBy(() -> transactions.executeWithoutResult(status -> {
            orders.update("INSERT INTO orders(id) VALUES ('jdbi-undo')");
            jdbi.useHandle(h -> h.execute("INSERT INTO payments(id) VALUES ('jdbi-undo')"));
            throw new IllegalStateException("undo");
        })).hasMessage("undo");
        transactions.executeWithoutResult(status ->
                jdbi.useHandle(h -> h.execute("INSERT INTO payments(id) VALUES ('jdbi-ok')")));

        assertThat(inOrders("jdbi-undo")).isFalse();
        assertThat(inPayments("jdbi-undo")).isFalse();
        assertThat(inPayments("jdbi-ok")).isTrue();
    }

    @Test
    void aWrappedConnectionRefusesItsOwnCommitInsideATransaction() {
        assertThatThrownBy(() -> transactions.executeWithoutResult(status ->
                orders.execute((java.sql.Connection c) -> {
                    c.commit();
                    return null;
                }))).hasStackTraceContaining("enlisted in a QuorumTX transaction");
    }

    @Test
    void theLockServiceRunsOnThePoolSoAGrantIsNotRolledBackWithTheTransaction() throws Exception {
        LockHandle[] held = new LockHandle[1];
        transactions.executeWithoutResult(status -> {
            try {
                held[0] = locks.acquire("nightly-report");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            status.setRollbackOnly();
        });
        try {
            assertThat(heldLocks()).as("the grant survived the rollback").contains("nightly-report");
        } finally {
            held[0].close();
        }
        assertThat(heldLocks()).doesNotContain("nightly-report");
    }

    private java.util.List<String> heldLocks() {
        return locks.list().stream().filter(LockInfo::held).map(LockInfo::name).toList();
    }

    private boolean inOrders(String id) {
        return orders.queryForObject("SELECT COUNT(*) FROM orders WHERE id = ?", Integer.class, id) == 1;
    }

    private boolean inPayments(String id) {
        return payments.sql("SELECT COUNT(*) FROM payments WHERE id = ?").param(id).query(Integer.class).single() == 1;
    }

    private boolean inAudit(String id) {
        return audit.queryForObject("SELECT COUNT(*) FROM audit WHERE id = ?", Integer.class, id) == 1;
    }
}
