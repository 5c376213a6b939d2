package io.quorumtx.examples.bank;

import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.ExternalDatabases.Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The bank with account A in PostgreSQL (quorumtx_a) and account B in MariaDB (quorumtx_b): the
 * starter detects a different dialect for each pool. Skipped without the servers, failed instead
 * with QUORUMTX_REQUIRE_DATABASES=1.
 */
@SpringBootTest(properties = {"quorumtx.node-id=bank-pgmaria-test", "bank.accounts=10", "bank.initial-balance=1000"})
class BankOnPostgresqlAndMariadbTest extends BankScenarios {

    @BeforeAll
    static void servers() {
        ExternalDatabases.postgresql();
        ExternalDatabases.mariadb();
    }

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) throws IOException {
        Server pg = ExternalDatabases.postgresql();
        Server maria = ExternalDatabases.mariadb();
        registry.add("bank.a.jdbc-url", () -> pg.url(ExternalDatabases.DATABASE_A));
        registry.add("bank.a.username", () -> pg.admin().user());
        registry.add("bank.a.password", () -> pg.admin().password());
        registry.add("bank.b.jdbc-url", () -> maria.url(ExternalDatabases.DATABASE_B));
        registry.add("bank.b.username", () -> maria.admin().user());
        registry.add("bank.b.password", () -> maria.admin().password());
        Path dir = Files.createTempDirectory("quorumtx-bank-real");
        registry.add("quorumtx.log.directory", () -> dir.resolve("txlog").toString());
    }
}
