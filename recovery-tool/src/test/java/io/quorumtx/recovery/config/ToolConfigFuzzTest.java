package io.quorumtx.recovery.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.quorumtx.tm.fuzz.FuzzSupport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzzes the recovery tool's configuration parser: {@link ToolConfig#load} of a file holding the input.
 *
 * <p>Properties: a configuration loads or is refused with a {@link ConfigException} whose message
 * names what is wrong, never another exception (an operator must read what to fix, not a stack
 * trace); a loaded configuration holds absolute, normalized paths and non-negative durations.
 */
class ToolConfigFuzzTest {
    @FuzzTest
    @DictionaryEntries({"log.directory=", "node.id=", "recovery.safety-interval=", "paxos.members=",
            "paxos.secret.env=", "paxos.secret.previous.env=", "paxos.secret.next.env=", "paxos.acceptor.directories=",
            "paxos.lease=", "paxos.tombstone.retention=", "paxos.clock.skew.margin=", "paxos.tls.keystore=",
            "paxos.tls.keystore.type=", "paxos.tls.keystore.password.env=", "paxos.tls.truststore=",
            "paxos.tls.truststore.type=", "paxos.tls.truststore.password.env=", "database.", ".url=jdbc:",
            ".user=", ".password.env=", ".dialect=", ".xa-data-source=", ".marker-table=", "participant.", ".class=",
            "n1=127.0.0.1:7801", "pem", "pkcs12", "ms", "PT",
            // libFuzzer's dictionary syntax: \\xNN escapes, \\\\ for a backslash
            "\\\\u0000", "\\x0a", "\\x00"})
    void load(byte[] input) throws IOException {
        Path dir = FuzzSupport.scratchDirectory("config-");
        try {
            Path file = dir.resolve("recovery.properties");
            Files.write(file, input);
            ToolConfig config;
            try {
                config = ToolConfig.load(file);
            } catch (ConfigException refused) {
                assertThat(refused.getMessage()).isNotBlank();
                return;
            }
            config.logDirectory().ifPresent(ToolConfigFuzzTest::checkPath);
            assertNotNegative(config.safetyInterval());
            config.paxos().ifPresent(p -> {
                p.acceptorDirectories().forEach(ToolConfigFuzzTest::checkPath);
                assertNotNegative(p.lease());
                assertNotNegative(p.clockSkewMargin());
                p.tombstoneRetention().ifPresent(r -> assertThat(r).isPositive());
                p.tls().ifPresent(t -> {
                    checkPath(t.keyStore());
                    checkPath(t.trustStore());
                });
            });
        } finally {
            FuzzSupport.delete(dir);
        }
    }

    private static void checkPath(Path p) {
        assertThat(p.isAbsolute()).as("%s is absolute", p).isTrue();
        assertThat(p.normalize()).isEqualTo(p);
    }

    private static void assertNotNegative(Duration d) {
        assertThat(d.isNegative()).as("%s is negative", d).isFalse();
    }

    /** Valid configurations of every kind: local log, replicated log online (secret, TLS) and offline. */
    static Map<String, byte[]> seeds() {
        Map<String, String> seeds = new LinkedHashMap<>();
        seeds.put("local", """
                log.directory=txlog
                node.id=n1
                recovery.safety-interval=30s
                database.bank-a.url=jdbc:h2:file:/var/lib/app/bank-a;WRITE_DELAY=0
                database.bank-a.user=sa
                database.bank-a.password.env=BANK_A_PASSWORD
                database.bank-a.dialect=h2
                database.bank-b.url=jdbc:postgresql://db/bank
                database.bank-b.xa-data-source=org.postgresql.xa.PGXADataSource
                database.bank-b.marker-table=qtx_marker
                participant.queue.class=com.example.QueueParticipant
                participant.queue.endpoint=http://queue
                """);
        seeds.put("paxos-secret", """
                paxos.members=n1=10.0.0.1:7801,n2=10.0.0.2:7801,n3=10.0.0.3:7801
                paxos.secret.env=QUORUMTX_CLUSTER_SECRET
                paxos.secret.previous.env=QUORUMTX_OLD_SECRET
                paxos.secret.next.env=QUORUMTX_NEW_SECRET
                paxos.lease=3s
                paxos.clock.skew.margin=PT30S
                database.bank-a.url=jdbc:h2:mem:a
                database.bank-a.dialect=h2
                """);
        seeds.put("paxos-offline", """
                paxos.members=n1=10.0.0.1:7801,n2=10.0.0.2:7801,n3=10.0.0.3:7801
                paxos.acceptor.directories=/backup/n1,backup/n2
                paxos.tombstone.retention=5m
                paxos.lease=500ms
                """);
        seeds.put("paxos-tls", """
                paxos.members=n1=10.0.0.1:7801
                paxos.tls.keystore=/etc/quorumtx/tool.p12
                paxos.tls.keystore.type=pkcs12
                paxos.tls.keystore.password.env=QUORUMTX_TOOL_KEYSTORE_PASSWORD
                paxos.tls.truststore=cluster-ca.pem
                paxos.tls.truststore.type=pem
                """);
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        seeds.forEach((name, text) -> bytes.put(name, text.getBytes(StandardCharsets.UTF_8)));
        return bytes;
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzSupport.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        FuzzSupport.writeSeeds(ToolConfigFuzzTest.class, "load", seeds());
    }
}
