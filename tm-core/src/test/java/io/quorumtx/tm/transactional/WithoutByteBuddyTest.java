package io.quorumtx.tm.transactional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.IsolatedClassLoader;
import jakarta.transaction.Transactional;
import java.net.URLClassLoader;
import java.nio.file.Path;
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
        return IsolatedClassLoader.runProbe(loader, WithoutByteBuddyProbe.class, dir);
    }

    private static URLClassLoader isolatedLoader(boolean withByteBuddy) {
        return withByteBuddy
                ? IsolatedClassLoader.of("with-byte-buddy", TransactionalProxies.class, WithoutByteBuddyProbe.class,
                        Transactional.class, Logger.class, ByteBuddy.class)
                // tm-core's classes, this module's test classes, jakarta.transaction-api, slf4j-api
                : IsolatedClassLoader.of("without-byte-buddy", TransactionalProxies.class, WithoutByteBuddyProbe.class,
                        Transactional.class, Logger.class);
    }
}
