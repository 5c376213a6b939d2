package io.quorumtx.examples.bank;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The bank on two H2 file databases, as the example ships. */
@SpringBootTest(properties = {"quorumtx.node-id=bank-h2-test", "bank.accounts=10", "bank.initial-balance=1000"})
class BankOnH2Test extends BankScenarios {

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) throws IOException {
        Path dir = Files.createTempDirectory("quorumtx-bank-h2");
        registry.add("bank.a.jdbc-url", () -> "jdbc:h2:file:" + dir.resolve("bank-a") + ";WRITE_DELAY=0");
        registry.add("bank.b.jdbc-url", () -> "jdbc:h2:file:" + dir.resolve("bank-b") + ";WRITE_DELAY=0");
        registry.add("quorumtx.log.directory", () -> dir.resolve("txlog").toString());
    }
}
