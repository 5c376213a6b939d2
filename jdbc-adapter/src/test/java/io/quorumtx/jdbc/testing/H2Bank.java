package io.quorumtx.jdbc.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.h2.jdbcx.JdbcDataSource;

/** Embedded H2 file databases with an {@code account} table, on durable URLs. */
public final class H2Bank {

    private H2Bank() {
    }

    public static String url(Path directory, String database) {
        return "jdbc:h2:" + directory.resolve(database) + ";WRITE_DELAY=0";
    }

    /** Creates {@code account(id, balance)}, balance never negative, with accounts 1..n. */
    public static void createAccounts(String url, int... balances) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE account (id INT PRIMARY KEY, balance INT NOT NULL CHECK (balance >= 0))");
            for (int i = 0; i < balances.length; i++) {
                s.execute("INSERT INTO account VALUES (" + (i + 1) + ", " + balances[i] + ")");
            }
        }
    }

    public static int balance(String url, int id) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT balance FROM account WHERE id = " + id)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    public static void addToBalance(Connection c, int id, int delta) throws SQLException {
        try (Statement s = c.createStatement()) {
            int updated = s.executeUpdate("UPDATE account SET balance = balance + " + delta + " WHERE id = " + id);
            if (updated != 1) {
                throw new SQLException("no account " + id);
            }
        }
    }

    public static int readBalance(Connection c, int id) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT balance FROM account WHERE id = " + id)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    public static JdbcDataSource xaDataSource(String url) {
        JdbcDataSource xa = new JdbcDataSource();
        xa.setURL(url);
        xa.setUser("sa");
        return xa;
    }

    public static HikariDataSource pool(String url, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername("sa");
        config.setMaximumPoolSize(size);
        return new HikariDataSource(config);
    }
}
