package io.quorumtx.testsupport;

import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * A class loader that holds only the code sources (jars or class directories) of the classes a
 * test names, above the JDK's platform loader: nothing of the test's own class path leaks in. A
 * test proves that a dependency is optional by running a probe in such a loader without it (the
 * code still works, or names the missing dependency) and with it.
 *
 * <pre>{@code
 * try (URLClassLoader loader = IsolatedClassLoader.of("without-hikari", TransactionalDataSource.class,
 *         Probe.class, QuorumTransactionManager.class, Logger.class)) {
 *     String report = IsolatedClassLoader.runProbe(loader, Probe.class, dir);
 * }
 * }</pre>
 */
public final class IsolatedClassLoader {

    private IsolatedClassLoader() {
    }

    /**
     * A loader named {@code name} over the code sources of {@code types} (each source once, in
     * order), whose parent is the platform loader.
     */
    public static URLClassLoader of(String name, Class<?>... types) {
        List<URL> urls = new ArrayList<>();
        Set<String> seen = new HashSet<>(); // by text: URL.equals may resolve host names
        for (Class<?> type : types) {
            URL url = location(type);
            if (seen.add(url.toString())) {
                urls.add(url);
            }
        }
        return new URLClassLoader(name, urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    /** The jar or class directory {@code type} was loaded from. */
    public static URL location(Class<?> type) {
        try {
            return type.getProtectionDomain().getCodeSource().getLocation().toURI().toURL();
        } catch (URISyntaxException | java.net.MalformedURLException e) {
            throw new IllegalStateException("no usable code source for " + type.getName(), e);
        }
    }

    /**
     * Loads {@code probe} again through {@code loader} (it must come from there, not from the
     * test's own loader, or the isolation proves nothing), creates it with its public no-argument
     * constructor and applies it to {@code argument}. {@link Function} is the JDK's, so both loaders
     * share it; the argument and the result should be JDK types too.
     */
    public static <T, R> R runProbe(ClassLoader loader, Class<? extends Function<T, R>> probe, T argument)
            throws ReflectiveOperationException {
        Class<?> isolated = loader.loadClass(probe.getName());
        if (isolated.getClassLoader() != loader) {
            throw new AssertionError(probe.getName() + " was loaded by " + isolated.getClassLoader() + ", not by the"
                    + " isolated loader " + loader + ": its code source must be among the loader's");
        }
        @SuppressWarnings("unchecked") // the same class by name, implementing the JDK's Function, shared by both loaders
        Function<T, R> instance = (Function<T, R>) isolated.getConstructor().newInstance();
        return instance.apply(argument);
    }
}
