package io.quorumtx.tm.transactional;

import io.quorumtx.tm.QuorumTransactionManager;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import net.bytebuddy.implementation.bind.annotation.Origin;
import net.bytebuddy.implementation.bind.annotation.RuntimeType;
import net.bytebuddy.implementation.bind.annotation.SuperCall;

/**
 * Puts a {@link TransactionalInterceptor} in front of a service, without a container.
 * <ul>
 *   <li>{@link #forInterface}: a JDK dynamic proxy of an interface the service implements, calling
 *       the target; annotations are read from the target's class first, then from the interface.</li>
 *   <li>{@link #forClass}: a subclass of a concrete class generated with Byte Buddy (once per
 *       class), constructed with the given arguments; its public, non-final, non-static methods
 *       run inside the interceptor, then the class's own code ({@code super}). A call from one of
 *       its methods to another on {@code this} is intercepted too (unlike a delegating proxy).
 *       Byte Buddy ({@code net.bytebuddy:byte-buddy}) is an optional dependency of tm-core, needed
 *       on the class path only for this; without it {@code forClass} throws
 *       {@link IllegalStateException} saying so, and {@code forInterface} works as ever.</li>
 * </ul>
 *
 * <p>Build one per manager ({@code new TransactionalProxies(tm)}) and keep it: it holds the generated
 * subclasses. The manager does not know this class (the dependency runs one way, from
 * {@code transactional} to {@code io.quorumtx.tm}).
 */
public final class TransactionalProxies {

    /** The Maven coordinates named in the error when Byte Buddy is missing. */
    static final String BYTE_BUDDY = "net.bytebuddy:byte-buddy";

    private final TransactionalInterceptor interceptor;
    private final Map<Class<?>, Class<?>> classProxies = new ConcurrentHashMap<>();

    public TransactionalProxies(QuorumTransactionManager tm) {
        this.interceptor = new TransactionalInterceptor(tm);
    }

    /** A proxy implementing {@code type} that calls {@code target} inside the transactions its annotations ask for. */
    public <T> T forInterface(Class<T> type, T target) {
        Objects.requireNonNull(target, "target");
        if (!type.isInterface()) {
            throw new IllegalArgumentException(type.getName() + " is not an interface: forInterface proxies an"
                    + " interface the service implements");
        }
        Class<?> targetClass = target.getClass();
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return objectMethod(proxy, method, args, target);
            }
            return interceptor.invoke(targetClass, method, () -> {
                try {
                    return method.invoke(target, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
    }

    /**
     * A new instance of a generated subclass of {@code type}, built by the constructor of
     * {@code type} that takes {@code constructorArgs}.
     *
     * @throws IllegalArgumentException if {@code type} is final, an interface, not public, or has
     *     no public or protected constructor for these arguments
     * @throws IllegalStateException if Byte Buddy ({@code net.bytebuddy:byte-buddy}) is not on the class path
     */
    public <T> T forClass(Class<T> type, Object... constructorArgs) {
        Objects.requireNonNull(type, "type");
        int modifiers = type.getModifiers();
        if (type.isInterface() || Modifier.isFinal(modifiers) || !Modifier.isPublic(modifiers)
                || type.isPrimitive() || type.isArray()) {
            throw new IllegalArgumentException(type.getName() + " cannot be subclassed for @Transactional: forClass"
                    + " needs a public, non-final class (use forInterface for an interface)");
        }
        if (!byteBuddyPresent()) {
            throw new IllegalStateException("forClass(" + type.getName() + ") generates a subclass with Byte Buddy,"
                    + " which is not on the class path: add the dependency " + BYTE_BUDDY
                    + " (tm-core declares it optional), or proxy an interface with forInterface");
        }
        Class<?> proxyType = classProxies.computeIfAbsent(type,
                t -> ClassProxyGenerator.generate(t, new Dispatcher(interceptor, t)));
        Object[] args = constructorArgs == null ? new Object[0] : constructorArgs;
        for (Constructor<?> c : proxyType.getDeclaredConstructors()) {
            if (accepts(c.getParameterTypes(), args)) {
                try {
                    c.setAccessible(true);
                    return type.cast(c.newInstance(args));
                } catch (InvocationTargetException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IllegalStateException("The constructor of " + type.getName() + " failed: " + cause, cause);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("Cannot construct the @Transactional proxy of " + type.getName()
                            + ": " + e, e);
                }
            }
        }
        throw new IllegalArgumentException(type.getName() + " has no public or protected constructor taking "
                + java.util.Arrays.stream(args).map(a -> a == null ? "null" : a.getClass().getSimpleName()).toList());
    }

    /**
     * The target of the generated subclasses' methods: runs the super call inside the interceptor.
     * Public for the generated classes; its Byte Buddy annotations are read only by Byte Buddy, so
     * this class loads without it.
     */
    public static final class Dispatcher {
        private final TransactionalInterceptor interceptor;
        private final Class<?> type;

        Dispatcher(TransactionalInterceptor interceptor, Class<?> type) {
            this.interceptor = interceptor;
            this.type = type;
        }

        @RuntimeType
        public Object intercept(@Origin Method method, @SuperCall Callable<?> superCall) throws Throwable {
            return interceptor.invoke(type, method, superCall::call);
        }
    }

    /** Whether Byte Buddy can be loaded by the class loader that loaded tm-core. */
    static boolean byteBuddyPresent() {
        try {
            Class.forName("net.bytebuddy.ByteBuddy", false, TransactionalProxies.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static boolean accepts(Class<?>[] parameters, Object[] args) {
        if (parameters.length != args.length) {
            return false;
        }
        for (int i = 0; i < parameters.length; i++) {
            Class<?> p = parameters[i].isPrimitive() ? MethodType.methodType(parameters[i]).wrap().returnType()
                    : parameters[i];
            if (args[i] == null ? parameters[i].isPrimitive() : !p.isInstance(args[i])) {
                return false;
            }
        }
        return true;
    }

    private static Object objectMethod(Object proxy, Method method, Object[] args, Object target) throws Exception {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            case "toString" -> "TransactionalProxy[" + target + "]";
            default -> method.invoke(target, args);
        };
    }
}
