package io.quorumtx.tm.transactional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.transaction.Transactional;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import net.bytebuddy.ByteBuddy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * Byte Buddy is an optional dependency of tm-core: without it on the class path, interface
 * proxies work and {@code forClass} says which dependency is missing. Runs
 * {@link WithoutByteBuddyProbe} in a class loader holding tm-core's classes, this module's test
 * classes, the JTA API and SLF4J, and nothing else but the JDK.
 */
class WithoutByteBuddyTest {

    @TempDir
    Path dir;

    @Test
    void interfaceProxiesWorkAndClassProxiesNameTheMissingDependency() throws Exception {
        try (URLClassLoader loader = isolatedLoader(false)) {
            assertThatThrownBy(() -> loader.loadClass("net.bytebuddy.ByteBuddy"))
                    .as("the loader really lacks Byte Buddy").isInstanceOf(ClassNotFoundException.class);

            String report = probe(loader);

            assertThat(report).contains("interface: in a transaction");
            assertThat(report).contains("class: java.lang.IllegalStateException: forClass(" + WithoutByteBuddyProbe.Counter.class.getName() + ")")
                    .contains("net.bytebuddy:byte-buddy").contains("forInterface");
        }
    }

    @Test
    void withByteBuddyInTheSameLoaderClassProxiesWork() throws Exception {
        try (URLClassLoader loader = isolatedLoader(true)) {
            String report = probe(loader);

            assertThat(report).isEqualTo("interface: in a transaction\nclass: proxied, count 1");
        }
    }

    private String probe(URLClassLoader loader) throws Exception {
        Class<?> probeClass = loader.loadClass(WithoutByteBuddyProbe.class.getName());
        assertThat(probeClass.getClassLoader()).as("loaded in isolation").isSameAs(loader);
        @SuppressWarnings("unchecked") // the probe implements Function<Path, String>; Function is the JDK's, shared
        Function<Path, String> probe = (Function<Path, String>) probeClass.getConstructor().newInstance();
        return probe.apply(dir);
    }

    private static URLClassLoader isolatedLoader(boolean withByteBuddy) throws Exception {
        List<URL> urls = new ArrayList<>(List.of(
                location(TransactionalProxies.class),     // tm-core's classes
                location(WithoutByteBuddyProbe.class),    // this module's test classes
                location(Transactional.class),            // jakarta.transaction-api
                location(Logger.class)));                 // slf4j-api
        if (withByteBuddy) {
            urls.add(location(ByteBuddy.class));
        }
        return new URLClassLoader("without-byte-buddy", urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    private static URL location(Class<?> type) throws Exception {
        return type.getProtectionDomain().getCodeSource().getLocation().toURI().toURL();
    }
}
