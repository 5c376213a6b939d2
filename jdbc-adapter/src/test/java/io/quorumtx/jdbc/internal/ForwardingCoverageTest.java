package io.quorumtx.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.net.URI;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.XAConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every method of every {@code java.sql} interface the adapter wraps is either forwarded to the
 * wrapped object unchanged (by the {@code Forwarding*} classes generated at build time, or by the
 * metadata proxy) or deliberately handled by the hand-written class, and the list of the handled
 * ones below is the whole of it: a method that gains hand-written behaviour, or loses it, fails
 * here until the list says so.
 *
 * <p>"Forwarded" is checked by calling: a recording delegate must receive the same method with the
 * same argument objects, and what it returns must come back unchanged.
 */
class ForwardingCoverageTest {

    private static final Set<String> STATEMENT_HANDLED = Set.of(
            "getConnection()", "getResultSet()", "getGeneratedKeys()", "unwrap(Class)", "isWrapperFor(Class)",
            "addBatch(String)", "execute(String)", "execute(String,int[])", "execute(String,String[])",
            "execute(String,int)", "executeQuery(String)", "executeUpdate(String)", "executeUpdate(String,int[])",
            "executeUpdate(String,String[])", "executeUpdate(String,int)", "executeLargeUpdate(String)",
            "executeLargeUpdate(String,int[])", "executeLargeUpdate(String,String[])", "executeLargeUpdate(String,int)");

    private static final Set<String> PREPARED_HANDLED = union(STATEMENT_HANDLED, Set.of("executeQuery()"));

    /** JDBC 4.3 request and sharding calls keep Connection's defaults (see DelegatingConnection). */
    private static final Set<String> CONNECTION_DEFAULTS_KEPT = Set.of(
            "beginRequest()", "endRequest()", "setShardingKey(ShardingKey)", "setShardingKey(ShardingKey,ShardingKey)",
            "setShardingKeyIfValid(ShardingKey,int)", "setShardingKeyIfValid(ShardingKey,ShardingKey,int)");

    private static final Set<String> ENLISTED_HANDLED = union(CONNECTION_DEFAULTS_KEPT, Set.of(
            "close()", "isClosed()", "commit()", "rollback()", "setAutoCommit(boolean)", "getAutoCommit()",
            "setTransactionIsolation(int)", "abort(Executor)", "unwrap(Class)", "isWrapperFor(Class)",
            "createStatement()", "createStatement(int,int)", "createStatement(int,int,int)",
            "prepareStatement(String)", "prepareStatement(String,int)", "prepareStatement(String,int[])",
            "prepareStatement(String,String[])", "prepareStatement(String,int,int)", "prepareStatement(String,int,int,int)",
            "prepareCall(String)", "prepareCall(String,int,int)", "prepareCall(String,int,int,int)",
            "getMetaData()", "setClientInfo(String,String)", "setClientInfo(Properties)"));

    private static final Set<String> XA_PHYSICAL_HANDLED = union(CONNECTION_DEFAULTS_KEPT, Set.of(
            "close()", "abort(Executor)", "unwrap(Class)", "isWrapperFor(Class)"));

    private static final Set<String> RESULT_SET_HANDLED = Set.of("getStatement()", "unwrap(Class)", "isWrapperFor(Class)");

    private static final Set<String> METADATA_HANDLED = Set.of("getConnection()", "unwrap(Class)", "isWrapperFor(Class)");

    /** One wrapper: the interface, how to wrap a delegate, and what the hand-written class handles. */
    record Wrapped(Class<?> type, Function<Object, Object> wrap, Set<String> handled) {
        @Override
        public String toString() {
            return type.getSimpleName() + " in " + wrap.apply(stub(type)).getClass().getSimpleName();
        }
    }

    static Stream<Wrapped> wrapped() {
        return Stream.of(
                new Wrapped(Connection.class, d -> new Enlistment((Connection) d, null, null, TransactionControlSql.H2).newHandle(),
                        ENLISTED_HANDLED),
                new Wrapped(Connection.class, d -> new ForwardingXaPhysicalConnection(stub(XAConnection.class), (Connection) d,
                        null, false), XA_PHYSICAL_HANDLED),
                new Wrapped(Statement.class, d -> new ForwardingHandleStatement(handle(), (Statement) d), STATEMENT_HANDLED),
                new Wrapped(PreparedStatement.class, d -> new ForwardingHandlePreparedStatement(handle(), (PreparedStatement) d),
                        PREPARED_HANDLED),
                new Wrapped(CallableStatement.class, d -> new ForwardingHandleCallableStatement(handle(), (CallableStatement) d),
                        PREPARED_HANDLED),
                new Wrapped(ResultSet.class, d -> new ForwardingHandleResultSet(stub(Statement.class), (ResultSet) d),
                        RESULT_SET_HANDLED),
                new Wrapped(DatabaseMetaData.class, d -> HandleDatabaseMetaData.of(handle(), (DatabaseMetaData) d),
                        METADATA_HANDLED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wrapped")
    void everyInterfaceMethodIsForwardedOrDeliberatelyHandled(Wrapped w) throws Exception {
        Object wrapper = w.wrap().apply(stub(w.type()));
        boolean proxy = Proxy.isProxyClass(wrapper.getClass());
        Set<String> handledSeen = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        int forwarded = 0;
        for (Method method : w.type().getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            String signature = signature(method);
            Method implementation = wrapper.getClass().getMethod(method.getName(), method.getParameterTypes());
            if (Modifier.isAbstract(implementation.getModifiers()) || implementation.getDeclaringClass().isInterface()) {
                problems.add(signature + " is left to " + implementation.getDeclaringClass().getSimpleName());
                continue;
            }
            if (w.handled().contains(signature)) {
                handledSeen.add(signature);
                if (!proxy && isGenerated(implementation.getDeclaringClass())) {
                    problems.add(signature + " is listed as handled but only forwarded (generated)");
                }
                continue;
            }
            if (!proxy && !isGenerated(implementation.getDeclaringClass())) {
                problems.add(signature + " is written by hand in " + implementation.getDeclaringClass().getSimpleName()
                        + " but not listed as handled");
                continue;
            }
            String failure = forwards(w, method);
            if (failure != null) {
                problems.add(signature + ": " + failure);
            }
            forwarded++;
        }
        assertThat(problems).isEmpty();
        assertThat(handledSeen).as("handled methods that are not in the interface").isEqualTo(new TreeSet<>(w.handled()));
        assertThat(forwarded).isPositive();
    }

    /** A generated forwarder never hides a hand-written method of the class it extends. */
    @Test
    void noGeneratedForwarderOverridesAHandWrittenMethod() {
        for (Class<?> generated : List.of(ForwardingEnlistedConnection.class, ForwardingXaPhysicalConnection.class,
                ForwardingHandleStatement.class, ForwardingHandlePreparedStatement.class,
                ForwardingHandleCallableStatement.class, ForwardingHandleResultSet.class)) {
            assertThat(Modifier.isFinal(generated.getModifiers())).isTrue();
            for (Method m : generated.getDeclaredMethods()) {
                if (m.isSynthetic()) {
                    continue;
                }
                for (Class<?> c = generated.getSuperclass(); c != Object.class; c = c.getSuperclass()) {
                    try {
                        Method hand = c.getDeclaredMethod(m.getName(), m.getParameterTypes());
                        if (!Modifier.isAbstract(hand.getModifiers()) && !hand.isSynthetic()) {
                            fail(generated.getSimpleName() + " overrides " + c.getSimpleName() + "." + signature(m));
                        }
                    } catch (NoSuchMethodException expected) {
                        // not hand-written
                    }
                }
            }
        }
    }

    /** The request and sharding calls are deliberately not forwarded: the delegate never sees them. */
    @Test
    void requestAndShardingCallsKeepTheInterfaceDefaults() throws Exception {
        Recorder recorder = new Recorder();
        Connection delegate = (Connection) recorder.proxy(Connection.class);
        Connection handle = new Enlistment(delegate, null, null, TransactionControlSql.H2).newHandle();
        handle.beginRequest();
        handle.endRequest();
        Connection physical = new ForwardingXaPhysicalConnection(stub(XAConnection.class), delegate, null, false);
        physical.beginRequest();
        physical.endRequest();
        assertThat(recorder.calls).isEmpty();
    }

    private static boolean isGenerated(Class<?> c) {
        return c.getSimpleName().startsWith("Forwarding") && Modifier.isFinal(c.getModifiers());
    }

    /** Null when {@code method}, called on the wrapper, reached the delegate unchanged; else what went wrong. */
    private static String forwards(Wrapped w, Method method) throws Exception {
        Recorder recorder = new Recorder();
        Object delegate = recorder.proxy(w.type());
        Object wrapper = w.wrap().apply(delegate);
        Object[] args = arguments(method.getParameterTypes());
        Object result;
        try {
            result = method.invoke(wrapper, args);
        } catch (InvocationTargetException e) {
            return "threw " + e.getCause();
        }
        Call call = recorder.calls.stream().filter(c -> c.method.getName().equals(method.getName())
                && Arrays.equals(c.method.getParameterTypes(), method.getParameterTypes())).findFirst().orElse(null);
        if (call == null) {
            return "the delegate was not called (calls: " + recorder.calls + ")";
        }
        for (int i = 0; i < args.length; i++) {
            boolean same = method.getParameterTypes()[i].isPrimitive() ? args[i].equals(call.args[i]) : args[i] == call.args[i];
            if (!same) {
                return "argument " + i + " arrived as " + call.args[i] + ", not " + args[i];
            }
        }
        Class<?> returns = method.getReturnType();
        if (returns == void.class) {
            return null;
        }
        if (returns == ResultSet.class && w.type() == DatabaseMetaData.class) {
            // the metadata's result sets are wrapped so that they lead back to the handle
            return result instanceof HandleResultSet rs && rs.delegate() == call.returned ? null
                    : "returned " + result + ", not the delegate's result set wrapped";
        }
        boolean same = returns.isPrimitive() ? call.returned.equals(result) : call.returned == result;
        return same ? null : "returned " + result + ", not the delegate's " + call.returned;
    }

    @SuppressWarnings("ArrayRecordComponent") // records a reflective call's arguments as given; never compared with equals
    record Call(Method method, Object[] args, Object returned) {
        @Override
        public String toString() {
            return signature(method);
        }
    }

    /** A delegate that records every call and answers each with a fresh, recognisable value. */
    static final class Recorder {
        final List<Call> calls = new ArrayList<>();

        Object proxy(Class<?> type) {
            return Proxy.newProxyInstance(type.getClassLoader() == null ? getClass().getClassLoader() : type.getClassLoader(),
                    new Class<?>[] {type}, (proxy, method, args) -> {
                        if (method.getDeclaringClass() == Object.class) {
                            return objectMethod(proxy, method, args);
                        }
                        Object returned = value(method.getReturnType(), calls.size() + 1);
                        calls.add(new Call(method, args == null ? new Object[0] : args, returned));
                        return returned;
                    });
        }
    }

    private static Object objectMethod(Object proxy, Method method, Object[] args) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> "stub@" + Integer.toHexString(System.identityHashCode(proxy));
        };
    }

    /** A do-nothing implementation of {@code type}. */
    static <T> T stub(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(ForwardingCoverageTest.class.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> method.getDeclaringClass() == Object.class
                        ? objectMethod(proxy, method, args) : value(method.getReturnType(), 0)));
    }

    private static EnlistedConnection handle() {
        return new Enlistment(stub(Connection.class), null, null, TransactionControlSql.H2).newHandle();
    }

    private static Object[] arguments(Class<?>[] types) {
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            args[i] = types[i] == Class.class ? String.class : value(types[i], 100 + i);
        }
        return args;
    }

    /** A distinct value of {@code type} (distinct per {@code n} for primitives and strings), or null. */
    private static Object value(Class<?> type, int n) {
        if (type == void.class) {
            return null;
        }
        if (type == boolean.class) {
            return n % 2 == 0;
        }
        if (type == int.class) {
            return n;
        }
        if (type == long.class) {
            return 10_000L + n;
        }
        if (type == short.class) {
            return (short) n;
        }
        if (type == byte.class) {
            return (byte) n;
        }
        if (type == float.class) {
            return n + 0.5f;
        }
        if (type == double.class) {
            return n + 0.25;
        }
        if (type == String.class) {
            return "value-" + n;
        }
        if (type.isArray()) {
            return Array.newInstance(type.getComponentType(), 1);
        }
        if (type.isInterface()) {
            return stub(type);
        }
        try {
            return switch (type.getName()) {
                case "java.lang.Object" -> new Object();
                case "java.math.BigDecimal" -> BigDecimal.valueOf(n);
                case "java.sql.Date" -> new java.sql.Date(n);
                case "java.sql.Time" -> new Time(n);
                case "java.sql.Timestamp" -> new Timestamp(n);
                case "java.util.Calendar" -> Calendar.getInstance();
                case "java.util.Properties" -> new Properties();
                case "java.net.URL" -> URI.create("http://localhost/" + n).toURL();
                case "java.io.InputStream" -> new ByteArrayInputStream(new byte[n % 8]);
                case "java.io.Reader" -> new StringReader("r" + n);
                default -> null;
            };
        } catch (java.net.MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    static String signature(Method method) {
        return method.getName() + Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",", "(", ")"));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}
