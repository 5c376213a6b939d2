package io.quorumtx.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Why the H2 rules refuse DDL and most {@code SET} commands: measured on H2 itself, on a plain
 * connection with auto-commit off, whether the statement commits the open transaction. The
 * classifier must refuse every statement that does, and here allows every one that does not.
 */
class H2ImplicitCommitTest {

    @ParameterizedTest(name = "{0} commits: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            CREATE TABLE t2 (x INT)                     | true
            CREATE INDEX ix ON other (x)                | true
            CREATE VIEW v AS SELECT 1                   | true
            ALTER TABLE other ADD COLUMN y INT          | true
            DROP TABLE IF EXISTS absent                 | true
            TRUNCATE TABLE other                        | true
            COMMENT ON TABLE other IS 'x'               | true
            GRANT SELECT ON other TO PUBLIC             | true
            ANALYZE                                     | true
            DECLARE LOCAL TEMPORARY TABLE d1 (x INT)    | true
            SET MODE REGULAR                            | true
            SET TRANSACTION ISOLATION LEVEL SERIALIZABLE | true
            SET DEFAULT_LOCK_TIMEOUT 1000               | true
            SET AUTOCOMMIT TRUE                         | true
            CREATE SEQUENCE s1                          | false
            ALTER SEQUENCE s0 RESTART WITH 5            | false
            SET LOCK_TIMEOUT 1000                       | false
            SET QUERY_TIMEOUT 0                         | false
            SET SCHEMA PUBLIC                           | false
            SET TIME ZONE 'UTC'                         | false
            SET @v = 1                                  | false
            CHECKPOINT                                  | false
            CHECKPOINT SYNC                             | false
            MERGE INTO other KEY (x) VALUES (5)         | false
            """)
    void theH2RulesRefuseExactlyTheStatementsThatCommitImplicitly(String sql, boolean commits) throws SQLException {
        String url = "jdbc:h2:mem:implicit-" + UUID.randomUUID();
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (x INT)");
            s.execute("CREATE TABLE other (x INT)");
            s.execute("CREATE SEQUENCE s0");
            c.setAutoCommit(false);
            s.execute("INSERT INTO t VALUES (1)");
            s.execute(sql);
            c.rollback();
            c.setAutoCommit(true);
            try (ResultSet rows = s.executeQuery("SELECT COUNT(*) FROM t")) {
                rows.next();
                assertThat(rows.getInt(1) == 1).as("H2 committed the open transaction on " + sql).isEqualTo(commits);
            }
        }
        assertThat(TransactionControlSql.H2.refusedAt(sql) >= 0).as("H2 rules refuse " + sql).isEqualTo(commits);
    }
}
