package io.quorumtx.it.crash;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * Child JVM of {@link H2StaleInDoubtNameTest}: one step of the H2 scenario, then a halt (no close,
 * like a crash). {@code prepare}: prepares transaction A1 inserting 'A1'. {@code reuse}: commits or
 * rolls back the recovered A1 from another session, leaves a new transaction open (not prepared)
 * that inserts 'X1', and makes it reach the disk with an unrelated auto-commit insert 'W1'.
 */
public final class H2StaleInDoubtChild {
    private H2StaleInDoubtChild() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        if (args[1].equals("prepare")) {
            try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (id VARCHAR(8) PRIMARY KEY)");
            }
            Connection c = DriverManager.getConnection(url, "sa", "");
            c.setAutoCommit(false);
            c.createStatement().execute("INSERT INTO t VALUES ('A1')");
            c.createStatement().execute("PREPARE COMMIT A1");
        } else {
            DriverManager.getConnection(url, "sa", "").createStatement().execute(args[2] + " TRANSACTION A1");
            Connection x = DriverManager.getConnection(url, "sa", "");
            x.setAutoCommit(false);
            x.createStatement().execute("INSERT INTO t VALUES ('X1')");
            DriverManager.getConnection(url, "sa", "").createStatement().execute("INSERT INTO t VALUES ('W1')");
        }
        System.out.println("HALT");
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
