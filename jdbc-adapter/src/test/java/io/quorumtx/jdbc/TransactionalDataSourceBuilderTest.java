package io.quorumtx.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad setting is refused at build() with a message naming it and what is allowed. */
class TransactionalDataSourceBuilderTest {

    @TempDir
    Path directory;

    private QuorumTransactionManager tm;
    private HikariDataSource pool;

    @BeforeEach
    void start() {
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(directory.resolve("log")).build();
        pool = H2Bank.pool(H2Bank.url(directory, "db"), 2);
    }

    @AfterEach
    void stop() {
        pool.close();
        tm.close();
    }

    private TransactionalDataSource.Builder dialectStyle(String name) {
        return TransactionalDataSource.builder(tm).name(name).dataSource(pool).dialect(Dialect.h2());
    }

    @Test
    void namesOutsideTheAllowedAlphabetOrLengthAreRefused() {
        for (String bad : new String[] {"", "bank a", "bank'a", "x".repeat(49)}) {
            assertThatThrownBy(() -> dialectStyle(bad).build()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("name '" + bad + "' is invalid").hasMessageContaining("[A-Za-z0-9_.-]");
        }
        assertThatThrownBy(() -> TransactionalDataSource.builder(tm).dataSource(pool).dialect(Dialect.h2()).build())
                .hasMessageContaining("name is not set");
        try (TransactionalDataSource ok = dialectStyle("a.B-9_" + "x".repeat(42)).build()) {
            assertThat(ok.name()).hasSize(48);
        }
    }

    @Test
    void exactlyOneSourceMustBeGiven() {
        assertThatThrownBy(() -> TransactionalDataSource.builder(tm).name("n").build())
                .hasMessageContaining("set exactly one of xaDataSource(...)");
        assertThatThrownBy(() -> TransactionalDataSource.builder(tm).name("n").dataSource(pool).dialect(Dialect.h2())
                .xaDataSource(H2Bank.xaDataSource("jdbc:h2:mem:x")).build())
                .hasMessageContaining("set exactly one of xaDataSource(...)");
    }

    @Test
    void aDialectIsRequiredWithAPlainDataSourceAndRefusedWithAnXaDataSource() {
        assertThatThrownBy(() -> TransactionalDataSource.builder(tm).name("n").dataSource(pool).build())
                .hasMessageContaining("dialect is required").hasMessageContaining("Dialect.postgresql()");
        assertThatThrownBy(() -> TransactionalDataSource.builder(tm).name("n")
                .xaDataSource(H2Bank.xaDataSource("jdbc:h2:mem:x")).dialect(Dialect.h2()).build())
                .hasMessageContaining("dialect applies only to dataSource(...)");
    }

    @Test
    void poolSettingsApplyOnlyToThePoolBuiltForAnXaDataSource() {
        assertThatThrownBy(() -> dialectStyle("n").maximumPoolSize(4).build())
                .hasMessageContaining("configure the pool you pass in");
        assertThatThrownBy(() -> TransactionalDataSource.builder(tm).name("n")
                .xaDataSource(H2Bank.xaDataSource("jdbc:h2:mem:x")).maximumPoolSize(0).build())
                .hasMessageContaining("maximumPoolSize must be between 1 and 10000, was 0");
        assertThatThrownBy(() -> TransactionalDataSource.builder(tm).name("n")
                .xaDataSource(H2Bank.xaDataSource("jdbc:h2:mem:x")).maximumPoolSize(2).minimumIdle(3).build())
                .hasMessageContaining("minimumIdle must be between 0 and maximumPoolSize (2), was 3");
        assertThatThrownBy(() -> TransactionalDataSource.builder(tm).name("n")
                .xaDataSource(H2Bank.xaDataSource("jdbc:h2:mem:x")).connectionTimeout(Duration.ofMillis(10)).build())
                .hasMessageContaining("connectionTimeout must be at least 250 ms");
    }

    @Test
    void twoDataSourcesCannotShareAName() {
        try (TransactionalDataSource first = dialectStyle("bank").build()) {
            assertThatThrownBy(() -> dialectStyle("bank").build()).isInstanceOf(IllegalStateException.class);
            assertThat(first.name()).isEqualTo("bank");
        }
        try (TransactionalDataSource again = dialectStyle("bank").build()) {
            assertThat(again.name()).as("the name is free again after close").isEqualTo("bank");
        }
    }
}
