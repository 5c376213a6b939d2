package io.quorumtx.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.jdbc.internal.TransactionControlSql.Kind;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The classifier over many spellings, per database. Columns: the SQL ({@code \n} for a line
 * break), the databases that refuse it (h2, pg, my, other; {@code all}, {@code none}), and the kind.
 * Every spelling here was chosen to defeat a naive check: comments, case, literals that contain
 * a keyword, names that start with one, several statements in one string, executable comments.
 */
class TransactionControlSqlTest {

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', textBlock = """
            COMMIT                                           | all   | ENDS_TRANSACTION
            commit work                                      | all   | ENDS_TRANSACTION
            ~  \\n\\t Commit~                              | all   | ENDS_TRANSACTION
            /* x */ commit                                   | all   | ENDS_TRANSACTION
            /* a */ /* b */commit                            | all   | ENDS_TRANSACTION
            -- c\\nROLLBACK                                  | all   | ENDS_TRANSACTION
            (COMMIT)                                         | all   | ENDS_TRANSACTION
            END                                              | all   | ENDS_TRANSACTION
            ABORT                                            | all   | ENDS_TRANSACTION
            ROLLBACK                                         | all   | ENDS_TRANSACTION
            COMMIT AND CHAIN                                 | all   | ENDS_TRANSACTION
            BEGIN                                            | all   | BEGINS_TRANSACTION
            begin work                                       | all   | BEGINS_TRANSACTION
            START TRANSACTION READ WRITE                     | all   | BEGINS_TRANSACTION
            savepoint a                                      | all   | NESTS_TRANSACTION
            RELEASE SAVEPOINT a                              | all   | NESTS_TRANSACTION
            RELEASE a                                        | all   | NESTS_TRANSACTION
            ROLLBACK TO a                                    | all   | NESTS_TRANSACTION
            ROLLBACK TO SAVEPOINT a                          | all   | NESTS_TRANSACTION
            ROLLBACK WORK TO SAVEPOINT a                     | all   | NESTS_TRANSACTION
            SET AUTOCOMMIT TRUE                              | all   | SWITCHES_AUTOCOMMIT
            SET autocommit=1                                 | all   | SWITCHES_AUTOCOMMIT
            SET autocommit = 0                               | all   | SWITCHES_AUTOCOMMIT
            SET @@autocommit = 1                             | all   | SWITCHES_AUTOCOMMIT
            SET @@session.autocommit = ON                    | all   | SWITCHES_AUTOCOMMIT
            SET SESSION AUTOCOMMIT = 1                       | all   | SWITCHES_AUTOCOMMIT
            SET sql_mode = '', autocommit = 1                | all   | SWITCHES_AUTOCOMMIT
            XA COMMIT 'x'                                    | all   | DRIVES_TWO_PHASE_COMMIT
            xa start 'x'                                     | all   | DRIVES_TWO_PHASE_COMMIT
            PREPARE TRANSACTION 'x'                          | all   | DRIVES_TWO_PHASE_COMMIT
            COMMIT PREPARED 'x'                              | all   | DRIVES_TWO_PHASE_COMMIT
            ROLLBACK PREPARED 'x'                            | all   | DRIVES_TWO_PHASE_COMMIT
            PREPARE COMMIT tx1                               | all   | DRIVES_TWO_PHASE_COMMIT
            UPDATE t SET a = 1; COMMIT                       | all   | ENDS_TRANSACTION
            UPDATE t SET a = 1;COMMIT;                       | all   | ENDS_TRANSACTION
            SELECT ';'; /* ; */ rollback                     | all   | ENDS_TRANSACTION
            INSERT INTO t VALUES ('it''s'); COMMIT           | all   | ENDS_TRANSACTION
            SELECT 1; SELECT 2; -- x\\nEND                   | all   | ENDS_TRANSACTION
            SELECT 'a\\'; COMMIT; --'                        | all   | ENDS_TRANSACTION
            SELECT 'COMMIT'                                  | none  |
            SELECT "COMMIT" FROM t                           | none  |
            SELECT * FROM commit_log                         | none  |
            INSERT INTO COMMIT_LOG VALUES (1)                | none  |
            UPDATE t SET note = 'COMMIT; ROLLBACK'           | none  |
            UPDATE t SET note = 'x'; SELECT 'BEGIN'          | none  |
            SELECT 1 -- ; COMMIT                             | none  |
            SELECT 1 /* ; COMMIT */                          | none  |
            COMMITTED                                        | none  |
            ROLLBACKS                                        | none  |
            SET LOCK_TIMEOUT 1000                            | none  |
            SET @x = 'autocommit'                            | none  |
            SET TRANSACTION ISOLATION LEVEL SERIALIZABLE     | h2    | COMMITS_IMPLICITLY
            SET MODE MySQL                                   | h2    | COMMITS_IMPLICITLY
            SET SCHEMA PUBLIC                                | none  |
            SET TIME ZONE 'UTC'                              | none  |
            SET @v = 1                                       | none  |
            CHECKPOINT                                       | none  |
            CHECKPOINT SYNC                                  | none  |
            PREPARE p AS SELECT 1                            | none  |
            EXECUTE p                                        | none  |
            CREATE TABLE t (a INT)                           | h2,my | COMMITS_IMPLICITLY
            create index i on t(a)                           | h2,my | COMMITS_IMPLICITLY
            ALTER TABLE t ADD COLUMN b INT                   | h2,my | COMMITS_IMPLICITLY
            DROP TABLE t                                     | h2,my | COMMITS_IMPLICITLY
            TRUNCATE TABLE t                                 | h2,my | COMMITS_IMPLICITLY
            GRANT SELECT ON t TO u                           | h2,my | COMMITS_IMPLICITLY
            REVOKE SELECT ON t FROM u                        | h2,my | COMMITS_IMPLICITLY
            ANALYZE TABLE t                                  | h2,my | COMMITS_IMPLICITLY
            CREATE USER u IDENTIFIED BY 'secret'             | h2,my | COMMITS_IMPLICITLY
            CREATE SEQUENCE s                                | my    | COMMITS_IMPLICITLY
            ALTER SEQUENCE s RESTART WITH 1                  | my    | COMMITS_IMPLICITLY
            COMMENT ON TABLE t IS 'x'                        | h2    | COMMITS_IMPLICITLY
            SCRIPT TO 'x.sql'                                | h2    | COMMITS_IMPLICITLY
            RUNSCRIPT FROM 'x.sql'                           | h2    | COMMITS_IMPLICITLY
            DECLARE LOCAL TEMPORARY TABLE d (a INT)          | h2    | COMMITS_IMPLICITLY
            CREATE TEMPORARY TABLE tmp (a INT)               | h2    | COMMITS_IMPLICITLY
            CREATE OR REPLACE TEMPORARY TABLE tmp (a INT)    | h2    | COMMITS_IMPLICITLY
            DROP TEMPORARY TABLE tmp                         | h2    | COMMITS_IMPLICITLY
            LOCK TABLES t WRITE                              | my    | COMMITS_IMPLICITLY
            UNLOCK TABLES                                    | my    | COMMITS_IMPLICITLY
            RENAME TABLE a TO b                              | my    | COMMITS_IMPLICITLY
            OPTIMIZE TABLE t                                 | my    | COMMITS_IMPLICITLY
            REPAIR TABLE t                                   | my    | COMMITS_IMPLICITLY
            CHECK TABLE t                                    | my    | COMMITS_IMPLICITLY
            CACHE INDEX t IN c                               | my    | COMMITS_IMPLICITLY
            LOAD INDEX INTO CACHE t                          | my    | COMMITS_IMPLICITLY
            LOAD DATA INFILE 'x' INTO TABLE t                | none  |
            FLUSH TABLES                                     | my    | COMMITS_IMPLICITLY
            RESET QUERY CACHE                                | my    | COMMITS_IMPLICITLY
            SET PASSWORD = PASSWORD('x')                     | h2,my | COMMITS_IMPLICITLY
            START SLAVE                                      | all   |
            STOP SLAVE                                       | my    | COMMITS_IMPLICITLY
            CHANGE MASTER TO MASTER_HOST = 'h'               | my    | COMMITS_IMPLICITLY
            INSTALL PLUGIN p SONAME 'p.so'                   | my    | COMMITS_IMPLICITLY
            SHUTDOWN                                         | h2,my | COMMITS_IMPLICITLY
            ANALYZE SELECT * FROM t                          | h2    | COMMITS_IMPLICITLY
            SET STATEMENT max_statement_time = 1 FOR COMMIT  | h2,my |
            SET STATEMENT max_statement_time = 1 FOR SELECT 1 | h2   | COMMITS_IMPLICITLY
            /*!COMMIT*/                                      | my    | ENDS_TRANSACTION
            /*!50000 COMMIT */                               | my    | ENDS_TRANSACTION
            /*M!100100 ROLLBACK */                           | my    | ENDS_TRANSACTION
            SELECT 1 /*!; COMMIT */                          | my    | ENDS_TRANSACTION
            SELECT 1; # x\\nCOMMIT                           | my    | ENDS_TRANSACTION
            # comment\\nCOMMIT                               | my    | ENDS_TRANSACTION
            SELECT 1 # ; COMMIT                              | h2,pg,other | ENDS_TRANSACTION
            SELECT 1--1; COMMIT                              | my    | ENDS_TRANSACTION
            // c\\nCOMMIT                                    | h2    | ENDS_TRANSACTION
            SELECT 1 // ; COMMIT                             | my,pg,other | ENDS_TRANSACTION
            SELECT `a;COMMIT` FROM t                         | pg,other | ENDS_TRANSACTION
            SELECT "a\\"; COMMIT; --" FROM t                 | all   | ENDS_TRANSACTION
            DO $$ BEGIN PERFORM 1; END $$                    | my,other | ENDS_TRANSACTION
            DO $body$ BEGIN PERFORM 1; END $body$            | h2,my,other | ENDS_TRANSACTION
            SELECT $1; COMMIT                                | all   | ENDS_TRANSACTION
            SELECT E'\\'; COMMIT; --'                        | h2,my,other | ENDS_TRANSACTION
            SELECT '\\''; COMMIT                             | all   | ENDS_TRANSACTION
            SELECT 1; /* /* */ COMMIT */                     | my,other | ENDS_TRANSACTION
            CREATE FUNCTION f() RETURNS INT BEGIN ATOMIC SELECT 1; END | all |
            """)
    void classifiesEachStatementSpellingPerDatabase(String spelled, String refusedBy, Kind kind) {
        String sql = spelled.replace("\\n", "\n").replace("\\t", "\t");
        Set<TransactionControlSql> refusing = databases(refusedBy);
        for (TransactionControlSql database : TransactionControlSql.values()) {
            int at = database.refusedAt(sql);
            if (refusing.contains(database)) {
                assertThat(at).as("%s refuses %s", database, sql).isGreaterThanOrEqualTo(0);
                if (kind != null) {
                    assertThat(database.kindAt(sql, at)).as("%s: kind of %s", database, sql).isEqualTo(kind);
                }
            } else {
                assertThat(at).as("%s allows %s", database, sql).isEqualTo(-1);
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            H2                    | H2
            PostgreSQL            | POSTGRESQL
            MariaDB               | MYSQL
            MySQL                 | MYSQL
            Oracle                | OTHER
            Microsoft SQL Server  | OTHER
            """)
    void theDatabaseProductNameChoosesTheRules(String product, TransactionControlSql rules) {
        assertThat(TransactionControlSql.forProduct(product)).isEqualTo(rules);
    }

    @org.junit.jupiter.api.Test
    void theRefusalNamesTheStatementWhatItWouldDoAndWhatToDoButNoLiteral() {
        String sql = "UPDATE t SET a = 1; CREATE USER admin IDENTIFIED BY 'hunter2'";
        int at = TransactionControlSql.MYSQL.refusedAt(sql);

        assertThat(TransactionControlSql.MYSQL.refusal(sql, at))
                .startsWith("SQL CREATE USER (at character 20 of the statement text) is refused on a connection"
                        + " enlisted in a QuorumTX transaction: it makes MySQL/MariaDB commit the open transaction"
                        + " implicitly")
                .contains("Run it outside the QuorumTX transaction")
                .contains("Only the TransactionManager (or UserTransaction) begins and ends the transaction")
                .doesNotContain("hunter2");
        assertThat(TransactionControlSql.H2.refusal("set @@autocommit=1", 0)).startsWith("SQL SET ... AUTOCOMMIT");
    }

    @SuppressWarnings("StringSplitter") // parses a comma list from a test property; empty trailing parts are meant to be dropped
    private static Set<TransactionControlSql> databases(String list) {
        if (list.equals("all")) {
            return EnumSet.allOf(TransactionControlSql.class);
        }
        Set<TransactionControlSql> set = EnumSet.noneOf(TransactionControlSql.class);
        if (list.equals("none")) {
            return set;
        }
        for (String name : list.split(",")) {
            set.add(switch (name.trim()) {
                case "h2" -> TransactionControlSql.H2;
                case "pg" -> TransactionControlSql.POSTGRESQL;
                case "my" -> TransactionControlSql.MYSQL;
                case "other" -> TransactionControlSql.OTHER;
                default -> throw new IllegalArgumentException(name);
            });
        }
        return set;
    }
}
