package io.quorumtx.tm.transactional;

import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.Transactional;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Runs inside {@link WithoutByteBuddyTest}'s class loader, which has tm-core and its required
 * dependencies but not Byte Buddy; reports what happened as a string (the test's and this class's
 * loaders share only the JDK's types).
 */
public final class WithoutByteBuddyProbe implements Function<Path, String> {

    /** An interface service: proxied without Byte Buddy. */
    public interface Greeter {
        @Transactional(Transactional.TxType.REQUIRED)
        String greet() throws Exception;
    }

    /** A concrete service: a class proxy needs Byte Buddy. */
    public static class Counter {
        @Transactional(Transactional.TxType.REQUIRED)
        public int count() {
            return 1;
        }
    }

    @Override
    public String apply(Path logDirectory) {
        QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(logDirectory).build();
        try {
            TransactionalProxies proxies = new TransactionalProxies(tm);
            Greeter greeter = proxies.forInterface(Greeter.class,
                    () -> tm.getTransaction() == null ? "no transaction" : "in a transaction");
            String viaInterface = greeter.greet();
            String viaClass;
            try {
                viaClass = "proxied, count " + proxies.forClass(Counter.class).count();
            } catch (RuntimeException | LinkageError e) {
                viaClass = e.getClass().getName() + ": " + e.getMessage();
            }
            return "interface: " + viaInterface + "\nclass: " + viaClass;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            tm.close();
        }
    }
}
