package io.quorumtx.jdbc.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The metadata of an {@link EnlistedConnection}: {@code getConnection()} answers with the handle,
 * and the metadata's result sets lead back to it too, as HikariCP's {@code ProxyDatabaseMetaData}
 * does. Every other call (over 150 of them) is forwarded unchanged to the driver's metadata.
 *
 * <p>A {@link Proxy}, not a class of forwarders: metadata is not on the hot path (one object per
 * {@code getMetaData()} call, a few calls on it at most), so the reflective dispatch costs
 * nothing that matters, and the rule "what returns a result set is wrapped" is written once here
 * instead of once per method.
 */
final class HandleDatabaseMetaData implements InvocationHandler {

    private static final Method GET_CONNECTION = method("getConnection");
    private static final Method UNWRAP = method("unwrap", Class.class);
    private static final Method IS_WRAPPER_FOR = method("isWrapperFor", Class.class);

    private final EnlistedConnection handle;
    private final DatabaseMetaData metaData;

    private HandleDatabaseMetaData(EnlistedConnection handle, DatabaseMetaData metaData) {
        this.handle = handle;
        this.metaData = metaData;
    }

    /** The handle's view of the driver's {@code metaData}. */
    static DatabaseMetaData of(EnlistedConnection handle, DatabaseMetaData metaData) {
        return (DatabaseMetaData) Proxy.newProxyInstance(HandleDatabaseMetaData.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class}, new HandleDatabaseMetaData(handle, metaData));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "HandleDatabaseMetaData[" + metaData + "]"; // toString
            };
        }
        if (method.equals(GET_CONNECTION)) {
            return handle;
        }
        // Unwrapping follows HandleStatement#unwrap: a driver's class reaches the driver's metadata.
        if (method.equals(UNWRAP)) {
            Class<?> type = (Class<?>) args[0];
            return type.isInstance(proxy) ? type.cast(proxy) : metaData.unwrap(type);
        }
        if (method.equals(IS_WRAPPER_FOR)) {
            Class<?> type = (Class<?>) args[0];
            return type.isInstance(proxy) || metaData.isWrapperFor(type);
        }
        Object result;
        try {
            result = method.invoke(metaData, args);
        } catch (InvocationTargetException e) {
            throw e.getCause(); // what the driver threw, as it threw it
        }
        return method.getReturnType() == ResultSet.class ? results((ResultSet) result) : result;
    }

    private ResultSet results(ResultSet resultSet) throws SQLException {
        if (resultSet == null) {
            return null;
        }
        Statement driverStatement = resultSet.getStatement();
        return new ForwardingHandleResultSet(driverStatement == null ? null : HandleStatement.of(handle, driverStatement), resultSet);
    }

    private static Method method(String name, Class<?>... parameterTypes) {
        try {
            return DatabaseMetaData.class.getMethod(name, parameterTypes);
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
