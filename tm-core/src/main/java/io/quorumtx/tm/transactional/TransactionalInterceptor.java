package io.quorumtx.tm.transactional;

import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.QuorumTransactional;
import jakarta.transaction.InvalidTransactionException;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionRequiredException;
import jakarta.transaction.Transactional;
import jakarta.transaction.TransactionalException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Applies {@code @Transactional} (Jakarta Transactions 2.0, section 3.7) around one method call.
 *
 * <ul>
 *   <li>The annotation of the method wins over its class's; the implementation class is asked
 *       before the interface (so a proxy of an interface honours annotations on the bean's class).</li>
 *   <li>{@code REQUIRED} joins the caller's transaction or begins one; {@code REQUIRES_NEW}
 *       suspends the caller's, begins its own and resumes the caller's afterwards, whatever
 *       happens; {@code MANDATORY} without a transaction and {@code NEVER} with one throw
 *       {@link TransactionalException} (causes {@link TransactionRequiredException} and
 *       {@link InvalidTransactionException}) without calling the method; {@code SUPPORTS} runs
 *       in whatever it finds; {@code NOT_SUPPORTED} suspends the caller's transaction around
 *       the call.</li>
 *   <li>An exception rolls back (or, in the caller's transaction, marks it rollback-only) when it
 *       is unchecked or matches {@code rollbackOn}, unless it matches {@code dontRollbackOn}
 *       (which wins); matching includes subclasses. The exception reaches the caller unchanged.</li>
 *   <li>When the call returns normally, a transaction this interceptor began is committed; a
 *       commit that fails (rolled back, heuristic, in doubt) surfaces as a
 *       {@link TransactionalException} whose cause is the JTA exception.</li>
 *   <li>{@link QuorumTransactional} sets the timeout and the protocol of a transaction it begins.</li>
 * </ul>
 * Thread-safe; the resolved settings of each method are cached.
 */
final class TransactionalInterceptor {

    /** The call the interceptor surrounds. */
    @FunctionalInterface
    public interface Invocation {
        Object proceed() throws Throwable;
    }

    @SuppressWarnings("ArrayRecordComponent") // never compared or hashed; the arrays are the annotation's own
    private record Settings(Transactional.TxType type, Class<?>[] rollbackOn, Class<?>[] dontRollbackOn,
                            int timeoutSeconds, CommitProtocolType protocol) {
    }

    private static final Settings NOT_ANNOTATED = new Settings(null, new Class<?>[0], new Class<?>[0], 0, null);

    private final QuorumTransactionManager tm;
    private final Map<Method, Settings> settings = new ConcurrentHashMap<>();

    public TransactionalInterceptor(QuorumTransactionManager tm) {
        this.tm = Objects.requireNonNull(tm, "tm");
    }

    /**
     * Runs {@code call} as the {@code @Transactional} of {@code method} (declared by
     * {@code targetClass} or one of its supertypes) says; without an annotation, just runs it.
     */
    public Object invoke(Class<?> targetClass, Method method, Invocation call) throws Throwable {
        Settings s = settings.computeIfAbsent(method, m -> resolve(targetClass, m));
        if (s.type() == null) {
            return call.proceed();
        }
        Transaction current = tm.getTransaction();
        boolean active = current != null && isActive(current);
        return switch (s.type()) {
            case REQUIRED -> active ? inCallers(s, call) : inNew(s, call);
            case REQUIRES_NEW -> suspended(current, () -> inNew(s, call));
            case MANDATORY -> {
                if (!active) {
                    throw new TransactionalException("Method " + describe(method) + " is @Transactional(MANDATORY)"
                            + " and was called without a transaction", new TransactionRequiredException(
                            "no transaction is associated with thread " + Thread.currentThread().getName()));
                }
                yield inCallers(s, call);
            }
            case SUPPORTS -> active ? inCallers(s, call) : call.proceed();
            case NOT_SUPPORTED -> suspended(current, call);
            case NEVER -> {
                if (active) {
                    throw new TransactionalException("Method " + describe(method) + " is @Transactional(NEVER) and was"
                            + " called inside a transaction", new InvalidTransactionException(
                            "thread " + Thread.currentThread().getName() + " is associated with a transaction"));
                }
                yield call.proceed();
            }
        };
    }

    /** In the caller's transaction: an exception the rules roll back for marks it rollback-only. */
    private Object inCallers(Settings s, Invocation call) throws Throwable {
        try {
            return call.proceed();
        } catch (Throwable t) {
            if (rollsBack(s, t)) {
                tm.setRollbackOnly();
            }
            throw t;
        }
    }

    /** In a transaction of its own: committed on return, rolled back (or committed) on an exception as the rules say. */
    private Object inNew(Settings s, Invocation call) throws Throwable {
        tm.begin(s.protocol(), s.timeoutSeconds());
        Object result;
        try {
            result = call.proceed();
        } catch (Throwable t) {
            if (rollsBack(s, t)) {
                rollBackQuietly(t);
            } else {
                try {
                    complete();
                } catch (TransactionalException commitFailed) {
                    t.addSuppressed(commitFailed);
                }
            }
            throw t;
        }
        complete();
        return result;
    }

    /** Commits what this interceptor began (rolls it back if something marked it rollback-only). */
    private void complete() {
        try {
            if (tm.getStatus() == Status.STATUS_MARKED_ROLLBACK) {
                tm.rollback();
                throw new TransactionalException("The transaction was marked rollback-only and has been rolled back",
                        new jakarta.transaction.RollbackException("marked rollback-only"));
            }
            tm.commit();
        } catch (TransactionalException e) {
            throw e;
        } catch (Exception e) {
            throw new TransactionalException("The transaction could not be committed: " + e.getMessage(), e);
        }
    }

    private void rollBackQuietly(Throwable cause) {
        try {
            tm.rollback();
        } catch (SystemException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** Runs {@code call} with the caller's transaction suspended, and resumes it afterwards in every case. */
    private Object suspended(Transaction current, Invocation call) throws Throwable {
        Transaction suspended = current != null ? tm.suspend() : null;
        try {
            return call.proceed();
        } finally {
            if (suspended != null) {
                tm.resume(suspended);
            }
        }
    }

    private static boolean rollsBack(Settings s, Throwable t) {
        for (Class<?> c : s.dontRollbackOn()) {
            if (c.isInstance(t)) {
                return false;
            }
        }
        if (t instanceof RuntimeException || t instanceof Error) {
            return true;
        }
        for (Class<?> c : s.rollbackOn()) {
            if (c.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isActive(Transaction tx) throws SystemException {
        int status = tx.getStatus();
        return status == Status.STATUS_ACTIVE || status == Status.STATUS_MARKED_ROLLBACK;
    }

    /** The method's annotation (implementation first, then interfaces), else its class's. */
    private static Settings resolve(Class<?> targetClass, Method method) {
        Method impl = implementation(targetClass, method);
        Transactional t = find(Transactional.class, targetClass, method, impl);
        if (t == null) {
            return NOT_ANNOTATED;
        }
        QuorumTransactional q = find(QuorumTransactional.class, targetClass, method, impl);
        int timeout = q == null ? 0 : q.timeoutSeconds();
        if (timeout < 0) {
            throw new IllegalArgumentException("@QuorumTransactional(timeoutSeconds = " + timeout + ") on "
                    + describe(method) + ": use 0 for the default or a positive number of seconds");
        }
        if (q != null && q.protocol().length > 1) {
            throw new IllegalArgumentException("@QuorumTransactional(protocol = ...) on " + describe(method)
                    + " names " + q.protocol().length + " protocols; name one, or none for the manager's default");
        }
        CommitProtocolType protocol = q == null || q.protocol().length == 0 ? null : q.protocol()[0];
        return new Settings(t.value(), t.rollbackOn(), t.dontRollbackOn(), timeout, protocol);
    }

    private static Method implementation(Class<?> targetClass, Method method) {
        if (targetClass == null || method.getDeclaringClass() == targetClass) {
            return method;
        }
        try {
            return targetClass.getMethod(method.getName(), method.getParameterTypes());
        } catch (NoSuchMethodException e) {
            return method;
        }
    }

    /** The annotation on the implementation method, the interface method, the class, the interface: first found. */
    private static <A extends java.lang.annotation.Annotation> A find(Class<A> annotation, Class<?> targetClass,
            Method method, Method impl) {
        A a = impl.getAnnotation(annotation);
        if (a == null) {
            a = method.getAnnotation(annotation);
        }
        if (a == null && targetClass != null) {
            a = targetClass.getAnnotation(annotation);
        }
        if (a == null) {
            a = method.getDeclaringClass().getAnnotation(annotation);
        }
        return a;
    }

    private static String describe(Method method) {
        return method.getDeclaringClass().getSimpleName() + "." + method.getName();
    }
}
