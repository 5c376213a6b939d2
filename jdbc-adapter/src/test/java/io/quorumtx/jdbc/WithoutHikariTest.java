package io.quorumtx.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.testsupport.IsolatedClassLoader;
import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.TransactionManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * HikariCP is an optional dependency of jdbc-adapter: without it on the class path, the dialect
 * style over the application's own DataSource works, and the XA-wrapping style fails at
 * {@code build()} naming the missing dependency. Runs {@link WithoutHikariProbe} in a class loader
 * holding jdbc-adapter's and tm-core's classes, this module's test classes, the JTA API, SLF4J and
 * H2, and nothing else but the JDK.
 */
class WithoutHikariTest {

    @TempDir
    Path dir;

    @Test
    void dialectStyleWorksAndTheXaStyleNamesTheMissingDependency() throws Exception {
        try (URLClassLoader loader = isolatedLoader(false)) {
            assertThatThrownBy(() -> loader.loadClass("com.zaxxer.hikari.HikariDataSource"))
                    .as("the loader really lacks HikariCP").isInstanceOf(ClassNotFoundException.class);

            String report = probe(loader);

            assertThat(report).contains("dialect: committed, balances 90/110;"
                    + " broken connection: not committed, balances 90/110");
            assertThat(report).contains("xa: java.lang.IllegalStateException: TransactionalDataSource 'c':")
                    .contains("com.zaxxer:HikariCP").contains("xaDataSource(...)").contains("dialect(...)");
        }
    }

    @Test
    void withHikariInTheSameLoaderBothStylesWork() throws Exception {
        try (URLClassLoader loader = isolatedLoader(true)) {
            String report = probe(loader);

            assertThat(report).isEqualTo("dialect: committed, balances 90/110;"
                    + " broken connection: not committed, balances 90/110\nxa: committed, balance 105");
        }
    }

    @Test
    void onlyHikariSupportRefersToHikariCP() throws Exception {
        Path classes = Path.of(IsolatedClassLoader.location(TransactionalDataSource.class).toURI());
        byte[] hikariPackage = "com/zaxxer/".getBytes(StandardCharsets.US_ASCII);
        List<String> referring;
        try (Stream<Path> files = Files.walk(classes)) {
            referring = files.filter(f -> f.toString().endsWith(".class"))
                    .filter(f -> contains(read(f), hikariPackage))
                    .map(f -> classes.relativize(f).toString().replace('\\', '/'))
                    .sorted().toList();
        }
        assertThat(referring).as("main classes whose constant pool names a HikariCP type")
                .containsExactly("io/quorumtx/jdbc/internal/HikariSupport.class");
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private String probe(URLClassLoader loader) throws Exception {
        return IsolatedClassLoader.runProbe(loader, WithoutHikariProbe.class, dir);
    }

    private static URLClassLoader isolatedLoader(boolean withHikari) {
        List<Class<?>> sources = new ArrayList<>(List.of(
                TransactionalDataSource.class,  // jdbc-adapter's classes
                WithoutHikariProbe.class,       // this module's test classes
                QuorumTransactionManager.class, // tm-core's classes
                TransactionManager.class,       // jakarta.transaction-api
                Logger.class,                   // slf4j-api
                JdbcDataSource.class));         // H2
        if (withHikari) {
            sources.add(HikariDataSource.class);
        }
        return IsolatedClassLoader.of("without-hikari", sources.toArray(Class<?>[]::new));
    }
}
