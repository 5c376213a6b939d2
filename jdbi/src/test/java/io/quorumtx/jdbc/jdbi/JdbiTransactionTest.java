package io.quorumtx.jdbc.jdbi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.transactional.TransactionalProxies;
import jakarta.transaction.Transactional;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementException;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.jdbi.v3.sqlobject.transaction.Transaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Jdbi 3 on QuorumTX, on two H2 databases and on PostgreSQL plus MariaDB: a {@code @Transactional}
 * service calling SqlObject DAOs of both databases commits or rolls back both; SqlObject
 * {@code @Transaction} and {@code jdbi.inTransaction} begin a QuorumTX transaction that spans a
 * handle of the other database; a handle never ends a transaction it joined.
 */
class JdbiTransactionTest {

    /** A SqlObject DAO; {@code <table>} is defined per Jdbi. */
    public interface AccountDao {
        @SqlUpdate("UPDATE <table> SET balance = balance + :delta WHERE id = :id")
        int add(@Bind("id") int id, @Bind("delta") int delta);

        @SqlQuery("SELECT balance FROM <table> WHERE id = :id")
        int balance(@Bind("id") int id);

        @Transaction
        default void move(int id, int delta) {
            if (add(id, delta) != 1) {
                throw new IllegalStateException("no account " + id);
            }
        }
    }

    /** An annotated service (a concrete class) moving money through the DAOs of two databases. */
    public static class TransferService {
        private final AccountDao from;
        private final AccountDao to;

        public TransferService(AccountDao from, AccountDao to) {
            this.from = from;
            this.to = to;
        }

        @Transactional
        public void transfer(int amount, Runnable midway) {
            from.move(1, -amount);
            midway.run();
            to.move(1, amount);
            if (amount > 50) {
                throw new IllegalArgumentException("over the limit: " + amount);
            }
        }
    }

    enum Databases { TWO_H2, POSTGRESQL_AND_MARIADB }

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();
    private QuorumTransactionManager tm;
    private final String[] urls = new String[2];
    private final String[] tables = new String[2];
    private final Jdbi[] jdbi = new Jdbi[2];

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private void start(Databases databases) throws Exception {
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(dir.resolve("log")).build();
        open.add(tm);
        TransactionalDataSource[] ds = new TransactionalDataSource[2];
        if (databases == Databases.TWO_H2) {
            for (int i = 0; i < 2; i++) {
                urls[i] = H2Bank.url(dir, "bank" + i);
                tables[i] = "account";
                H2Bank.createAccounts(urls[i], 100);
                Wrapped w = Wrapped.of(i == 0 ? Wrapped.Style.DIALECT : Wrapped.Style.XA, tm, "bank-" + i, urls[i]);
                open.add(w);
                ds[i] = w.dataSource();
            }
        } else {
            ExternalDatabases.Server pg = ExternalDatabases.postgresql();
            ExternalDatabases.Server maria = ExternalDatabases.mariadb();
            ExternalDatabases.Server[] servers = {pg, maria};
            for (int i = 0; i < 2; i++) {
                urls[i] = servers[i].url();
                tables[i] = "acct_" + UUID.randomUUID().toString().substring(0, 8);
                execute(i, "CREATE TABLE " + tables[i] + " (id INT PRIMARY KEY, balance INT NOT NULL)",
                        "INSERT INTO " + tables[i] + " VALUES (1, 100)");
                int bank = i;
                open.add(() -> execute(bank, "DROP TABLE IF EXISTS " + tables[bank]));
            }
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(pg.url());
            config.setMaximumPoolSize(3);
            HikariDataSource pgPool = new HikariDataSource(config);
            open.add(pgPool);
            ds[0] = TransactionalDataSource.builder(tm).name("pg").dataSource(pgPool).dialect(Dialect.postgresql())
                    .build();
            ds[1] = TransactionalDataSource.builder(tm).name("maria")
                    .xaDataSource(new org.mariadb.jdbc.MariaDbDataSource(maria.url())).maximumPoolSize(3).build();
            open.add(ds[0]);
            open.add(ds[1]);
        }
        for (int i = 0; i < 2; i++) {
            jdbi[i] = QuorumTxJdbi.create(tm, ds[i]).installPlugin(new SqlObjectPlugin());
            jdbi[i].define("table", tables[i]);
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.class)
    void anAnnotatedServiceCommitsOrRollsBackTheDaosOfBothDatabasesTogether(Databases databases) throws Exception {
        start(databases);
        TransferService service = new TransactionalProxies(tm).forClass(TransferService.class,
                jdbi[0].onDemand(AccountDao.class), jdbi[1].onDemand(AccountDao.class));

        int[] seenMidway = new int[1];
        service.transfer(30, () -> seenMidway[0] = balanceUnchecked(0));
        assertThat(seenMidway[0]).as("the first DAO's @Transaction joined: nothing committed midway").isEqualTo(100);
        assertThat(balance(0)).isEqualTo(70);
        assertThat(balance(1)).isEqualTo(130);

        assertThatThrownBy(() -> service.transfer(60, () -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThat(balance(0)).as("rolled back in both").isEqualTo(70);
        assertThat(balance(1)).isEqualTo(130);
        assertThat(tm.getTransaction()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Databases.class)
    void jdbiInTransactionBeginsOneTransactionThatAHandleOfTheOtherDatabaseJoins(Databases databases) throws Exception {
        start(databases);
        jdbi[0].useTransaction(h -> {
            h.attach(AccountDao.class).move(1, -5);
            jdbi[1].useHandle(other -> other.attach(AccountDao.class).move(1, 5));
        });
        assertThat(balance(0)).isEqualTo(95);
        assertThat(balance(1)).isEqualTo(105);

        assertThatThrownBy(() -> jdbi[0].useTransaction(h -> {
            h.attach(AccountDao.class).move(1, -5);
            jdbi[1].useHandle(other -> other.attach(AccountDao.class).move(1, 5));
            throw new IllegalStateException("abandon");
        })).hasMessage("abandon");
        assertThat(balance(0)).isEqualTo(95);
        assertThat(balance(1)).isEqualTo(105);
        assertThat(tm.getTransaction()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Databases.class)
    void aHandleNeverEndsATransactionItJoined(Databases databases) throws Exception {
        start(databases);
        tm.begin();
        jdbi[0].useHandle(h -> {
            h.begin();
            h.attach(AccountDao.class).add(1, 1);
            h.commit(); // joined: not the handle's to commit
        });
        assertThat(balance(0)).as("not committed by the handle").isEqualTo(100);
        tm.rollback();
        assertThat(balance(0)).isEqualTo(100);

        tm.begin();
        jdbi[1].useHandle(h -> {
            h.begin();
            h.rollback(); // joined: marks the caller's transaction rollback-only
        });
        assertThat(tm.getStatus()).isEqualTo(jakarta.transaction.Status.STATUS_MARKED_ROLLBACK);
        tm.rollback();
    }

    @ParameterizedTest
    @EnumSource(Databases.class)
    void sqlThatWouldEndTheTransactionThroughAJdbiHandleIsRefusedAndTheRollbackLeavesNeitherDatabaseChanged(
            Databases databases) throws Exception {
        start(databases);
        tm.begin();
        jdbi[1].useHandle(other -> other.attach(AccountDao.class).add(1, 30));
        Throwable refusal = catchThrowable(() -> jdbi[0].useHandle(h -> {
            h.attach(AccountDao.class).add(1, -30);
            h.execute("COMMIT");
        }));
        tm.rollback();

        assertThat(balance(0)).as("first database after the transaction manager's rollback").isEqualTo(100);
        assertThat(balance(1)).as("second database after the transaction manager's rollback").isEqualTo(100);
        assertThat(refusal).isInstanceOf(StatementException.class)
                .hasCauseInstanceOf(SQLException.class)
                .hasMessageContaining("refused on a connection enlisted in a QuorumTX transaction");
        assertThat(((SQLException) refusal.getCause()).getSQLState()).isEqualTo("25000");
    }

    private int balanceUnchecked(int bank) {
        try {
            return balance(bank);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private int balance(int bank) throws SQLException {
        try (Connection c = connect(bank); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT balance FROM " + tables[bank] + " WHERE id = 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private void execute(int bank, String... sql) throws SQLException {
        try (Connection c = connect(bank); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    private Connection connect(int bank) throws SQLException {
        return urls[bank].startsWith("jdbc:h2:") ? DriverManager.getConnection(urls[bank], "sa", "")
                : DriverManager.getConnection(urls[bank]);
    }
}
