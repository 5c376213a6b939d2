package io.quorumtx.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * A DataSource that counts the JDBC calls that cost a round trip or a commit — statements
 * executed, {@code commit}, {@code rollback}, auto-commit and isolation switches — on the
 * connections it hands out (the lock benchmark's {@code -Dbench.locks.count=true}). What a
 * driver or pool does by itself beneath (a pool's reset of a connection) is not seen.
 */
final class CountingDataSource {
    private static final Set<String> CONNECTION_CALLS = Set.of("commit", "rollback", "setAutoCommit",
            "setTransactionIsolation", "setReadOnly");

    private CountingDataSource() {
    }

    static DataSource wrap(DataSource real, Map<String, AtomicLong> calls) {
        return proxy(DataSource.class, real, (method, result) -> method.equals("getConnection")
                ? connection((Connection) result, calls) : result);
    }

    private static Connection connection(Connection real, Map<String, AtomicLong> calls) {
        return proxy(Connection.class, real, (method, result) -> {
            if (CONNECTION_CALLS.contains(method)) {
                count(calls, method);
            }
            if (result instanceof CallableStatement cs) {
                return statement(CallableStatement.class, cs, calls);
            }
            if (result instanceof PreparedStatement ps) {
                return statement(PreparedStatement.class, ps, calls);
            }
            if (result instanceof Statement st) {
                return statement(Statement.class, st, calls);
            }
            return result;
        });
    }

    private static <T extends Statement> T statement(Class<T> type, T real, Map<String, AtomicLong> calls) {
        return proxy(type, real, (method, result) -> {
            if (method.startsWith("execute")) {
                count(calls, "statements");
            }
            return result;
        });
    }

    private static void count(Map<String, AtomicLong> calls, String what) {
        calls.computeIfAbsent(what, w -> new AtomicLong()).incrementAndGet();
    }

    private interface After {
        Object apply(String method, Object result);
    }

    private static <T> T proxy(Class<T> type, Object target, After after) {
        InvocationHandler handler = (proxy, method, args) -> {
            try {
                return after.apply(method.getName(), method.invoke(target, args));
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {type},
                handler));
    }
}
