package io.quorumtx.recovery.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToolConfigTest {
    @TempDir
    Path dir;

    private Path write(String... lines) throws Exception {
        Path file = dir.resolve("recovery.properties");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    private static final String URL = "database.bank-a.url=jdbc:h2:file:/tmp/bank-a;WRITE_DELAY=0";

    @Test
    void aCompleteConfigurationIsReadWithEveryKey() throws Exception {
        Files.createDirectory(dir.resolve("txlog"));
        ToolConfig config = ToolConfig.load(write("log.directory=txlog", "node.id=n1", "recovery.safety-interval=30s",
                URL, "database.bank-a.user=sa", "database.bank-a.password.env=BANK_A_PASSWORD",
                "database.bank-a.dialect=H2", "database.bank.b.url=jdbc:h2:mem:b",
                "database.bank.b.xa-data-source=org.h2.jdbcx.JdbcDataSource"));

        assertThat(config.requireLogDirectory()).isEqualTo(dir.resolve("txlog"));
        assertThat(config.nodeId()).contains("n1");
        assertThat(config.safetyInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.databases()).extracting(DatabaseConfig::name).containsExactly("bank-a", "bank.b");
        DatabaseConfig a = config.databases().get(0);
        assertThat(a.dialect()).contains("h2");
        assertThat(a.passwordEnv()).contains("BANK_A_PASSWORD");
        assertThat(a.user()).isEqualTo("sa");
        assertThat(config.databases().get(1).xaDataSource()).contains("org.h2.jdbcx.JdbcDataSource");
    }

    @Test
    void aMisspeltDatabaseKeyIsNamedWithTheNearestValidKey() throws Exception {
        Path file = write("log.directory=/x", URL, "database.bank-a.dialet=h2");

        assertThatThrownBy(() -> ToolConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("Unknown key 'database.bank-a.dialet'")
                .hasMessageContaining("did you mean 'database.bank-a.dialect'?")
                .hasMessageContaining(file.toString());
    }

    @Test
    void aMisspeltGlobalKeyIsNamedWithTheNearestValidKey() throws Exception {
        Path file = write("log.directroy=/x", URL, "database.bank-a.dialect=h2");

        assertThatThrownBy(() -> ToolConfig.load(file))
                .hasMessageContaining("Unknown key 'log.directroy'").hasMessageContaining("did you mean 'log.directory'?");
    }

    @Test
    void aDatabaseWithoutUrlIsNamed() throws Exception {
        Path file = write("log.directory=/x", "database.bank-a.dialect=h2");

        assertThatThrownBy(() -> ToolConfig.load(file)).hasMessageContaining("database.bank-a.url is missing");
    }

    @Test
    void anUnknownDialectListsTheAllowedValues() throws Exception {
        Path file = write("log.directory=/x", URL, "database.bank-a.dialect=oracle");

        assertThatThrownBy(() -> ToolConfig.load(file)).hasMessageContaining("database.bank-a.dialect")
                .hasMessageContaining("'oracle'").hasMessageContaining("allowed values: h2, postgresql, mysql, mariadb");
    }

    @Test
    void dialectAndXaDataSourceTogetherAreRefused() throws Exception {
        Path file = write("log.directory=/x", URL, "database.bank-a.dialect=h2",
                "database.bank-a.xa-data-source=org.h2.jdbcx.JdbcDataSource");

        assertThatThrownBy(() -> ToolConfig.load(file)).hasMessageContaining("sets both database.bank-a.dialect and"
                + " database.bank-a.xa-data-source");
    }

    @Test
    void neitherDialectNorXaDataSourceIsRefused() throws Exception {
        Path file = write("log.directory=/x", URL);

        assertThatThrownBy(() -> ToolConfig.load(file)).hasMessageContaining("needs database.bank-a.dialect");
    }

    @Test
    void anInvalidResourceNameIsNamed() throws Exception {
        Path file = write("log.directory=/x", "database.bank!a.url=jdbc:h2:mem:x", "database.bank!a.dialect=h2");

        assertThatThrownBy(() -> ToolConfig.load(file)).hasMessageContaining("Database name 'bank!a'")
                .hasMessageContaining("[A-Za-z0-9_.-]");
    }

    @Test
    void aPasswordInTheFileIsRefusedWithoutRepeatingIt() throws Exception {
        Path file = write("log.directory=/x", URL, "database.bank-a.dialect=h2", "database.bank-a.password=Hunter2-Secret");

        assertThatThrownBy(() -> ToolConfig.load(file)).hasMessageContaining("database.bank-a.password.env")
                .hasMessageNotContaining("Hunter2-Secret");
    }

    @Test
    void markerTablesAndThreePhaseParticipantsAreReadAndCheckedByName() throws Exception {
        ToolConfig config = ToolConfig.load(write(URL, "database.bank-a.dialect=h2", "database.bank-a.marker-table=app_markers",
                "participant.ledger.class=com.example.Ledger", "participant.ledger.directory=/var/ledger"));
        assertThat(config.databases().get(0).markerTable()).isEqualTo("app_markers");
        assertThat(config.participants()).containsExactly(new ToolConfig.ParticipantConfig("ledger", "com.example.Ledger",
                java.util.Map.of("directory", "/var/ledger")));
        assertThat(ToolConfig.load(write(URL, "database.bank-a.dialect=h2")).databases().get(0).markerTable())
                .isEqualTo("quorumtx_precommit");

        assertThatThrownBy(() -> ToolConfig.load(write(URL, "database.bank-a.dialect=h2",
                "database.bank-a.marker-table=x;DROP TABLE y"))).hasMessageContaining("database.bank-a.marker-table")
                .hasMessageContaining("[A-Za-z0-9_]");
        assertThatThrownBy(() -> ToolConfig.load(write(URL, "database.bank-a.dialect=h2",
                "participant.ledger.directory=/var/ledger"))).hasMessageContaining("participant.ledger.class is missing");
    }

    @Test
    void aMissingLogDirectoryIsNamed() throws Exception {
        Path missing = dir.resolve("no-such-log");
        ToolConfig config = ToolConfig.load(write("log.directory=" + missing, URL, "database.bank-a.dialect=h2"));

        assertThatThrownBy(config::requireLogDirectory).hasMessageContaining("log.directory=" + missing)
                .hasMessageContaining("does not exist");
        ToolConfig without = ToolConfig.load(write(URL, "database.bank-a.dialect=h2"));
        assertThatThrownBy(without::requireLogDirectory).hasMessageContaining("log.directory is missing");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("nope.properties");

        assertThatThrownBy(() -> ToolConfig.load(missing)).hasMessageContaining(missing.toString())
                .hasMessageContaining("does not exist");
    }

    @Test
    void aBadSafetyIntervalSaysWhatIsAccepted() throws Exception {
        Path file = write("log.directory=/x", "recovery.safety-interval=soon", URL, "database.bank-a.dialect=h2");

        assertThatThrownBy(() -> ToolConfig.load(file)).hasMessageContaining("recovery.safety-interval")
                .hasMessageContaining("'soon'").hasMessageContaining("30s");
    }

    @Test
    void urlsAreShownWithPasswordsMasked() {
        assertThat(UrlMask.mask("jdbc:h2:file:/x;USER=sa;PASSWORD=s3cret;WRITE_DELAY=0"))
                .isEqualTo("jdbc:h2:file:/x;USER=sa;PASSWORD=***;WRITE_DELAY=0");
        assertThat(UrlMask.mask("jdbc:postgresql://db:5432/app?user=u&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db:5432/app?user=u&password=***&ssl=true");
        assertThat(UrlMask.mask("jdbc:mariadb://u:s3cret@db:3306/app")).isEqualTo("jdbc:mariadb://u:***@db:3306/app");
    }

    @Test
    void theReplicatedLogIsConfiguredByItsMembersAndASecretVariableOrAcceptorDirectories() throws Exception {
        ToolConfig online = ToolConfig.load(write("paxos.members=n1=127.0.0.1:7801, n2=127.0.0.1:7802,n3=127.0.0.1:7803",
                "paxos.secret.env=CLUSTER_SECRET", "paxos.lease=2s", URL, "database.bank-a.dialect=h2"));
        ToolConfig.PaxosSettings p = online.paxos().orElseThrow();
        assertThat(p.members()).containsExactly("n1=127.0.0.1:7801", "n2=127.0.0.1:7802", "n3=127.0.0.1:7803");
        assertThat(p.secretEnv()).contains("CLUSTER_SECRET");
        assertThat(p.lease()).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.offline()).isFalse();

        ToolConfig offline = ToolConfig.load(write("paxos.members=n1=h:1,n2=h:2,n3=h:3",
                "paxos.acceptor.directories=a/n1,/abs/n2", URL, "database.bank-a.dialect=h2"));
        assertThat(offline.paxos().orElseThrow().acceptorDirectories())
                .containsExactly(dir.resolve("a/n1"), Path.of("/abs/n2"));
        assertThat(offline.paxos().orElseThrow().lease()).isEqualTo(Duration.ofSeconds(3));
        assertThat(offline.paxos().orElseThrow().tombstoneRetention()).as("no default: the tool refuses offline").isEmpty();
        assertThat(offline.paxos().orElseThrow().clockSkewMargin()).isEqualTo(Duration.ofSeconds(30));

        ToolConfig retention = ToolConfig.load(write("paxos.members=n1=h:1,n2=h:2,n3=h:3",
                "paxos.acceptor.directories=a/n1,/abs/n2", "paxos.tombstone.retention=1h", "paxos.clock.skew.margin=5s",
                URL, "database.bank-a.dialect=h2"));
        assertThat(retention.paxos().orElseThrow().tombstoneRetention()).contains(Duration.ofHours(1));
        assertThat(retention.paxos().orElseThrow().clockSkewMargin()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aReplicatedLogConfigurationWithMistakesIsRefusedWithTheKeyNamed() throws Exception {
        assertThatThrownBy(() -> ToolConfig.load(write("paxos.members=n1=h:1,n2", "paxos.secret.env=S", URL,
                "database.bank-a.dialect=h2"))).hasMessageContaining("paxos.members")
                .hasMessageContaining("'n2' is not of the form nodeId=host:port");
        assertThatThrownBy(() -> ToolConfig.load(write("paxos.members=n1=h:1", URL, "database.bank-a.dialect=h2")))
                .hasMessageContaining("neither paxos.secret.env").hasMessageContaining("nor paxos.acceptor.directories");
        assertThatThrownBy(() -> ToolConfig.load(write("log.directory=/x", "paxos.members=n1=h:1",
                "paxos.secret.env=S", URL, "database.bank-a.dialect=h2")))
                .hasMessageContaining("sets both log.directory").hasMessageContaining("paxos.members");
        assertThatThrownBy(() -> ToolConfig.load(write("log.directory=/x", "paxos.secret.env=S", URL,
                "database.bank-a.dialect=h2"))).hasMessageContaining("paxos.secret.env").hasMessageContaining("needs paxos.members");
        assertThatThrownBy(() -> ToolConfig.load(write("paxos.members=n1=h:1", "paxos.secret.env=S", "paxos.lease=soon",
                URL, "database.bank-a.dialect=h2"))).hasMessageContaining("paxos.lease").hasMessageContaining("'soon'");
        assertThatThrownBy(() -> ToolConfig.load(write("paxos.members=n1=h:1", "paxos.acceptor.directories=/a",
                "paxos.tombstone.retention=0s", URL, "database.bank-a.dialect=h2")))
                .hasMessageContaining("paxos.tombstone.retention").hasMessageContaining("must be positive");
        assertThatThrownBy(() -> ToolConfig.load(write("log.directory=/x", "paxos.tombstone.retention=5m", URL,
                "database.bank-a.dialect=h2"))).hasMessageContaining("needs paxos.members");
    }

    @Test
    void theRotationSecretsAreVariablesNextToTheCurrentOne() throws Exception {
        ToolConfig c = ToolConfig.load(write("paxos.members=n1=h:1,n2=h:2,n3=h:3", "paxos.secret.env=S",
                "paxos.secret.previous.env=OLD_S", "paxos.secret.next.env=NEW_S", URL, "database.bank-a.dialect=h2"));
        assertThat(c.paxos().orElseThrow().rotationSecretEnvs()).containsExactly("OLD_S", "NEW_S");
        assertThatThrownBy(() -> ToolConfig.load(write("paxos.members=n1=h:1,n2=h:2,n3=h:3",
                "paxos.acceptor.directories=/a", "paxos.secret.previous.env=OLD_S", URL, "database.bank-a.dialect=h2")))
                .hasMessageContaining("paxos.secret.previous.env").hasMessageContaining("needs paxos.secret.env");
    }

    /** Found by ToolConfigFuzzTest (regression inputs regression-nul-in-*): it threw InvalidPathException. */
    @Test
    void aNulCharacterInAPathIsRefusedNamingTheKey() throws Exception {
        String members = "paxos.members=n1=h:1,n2=h:2,n3=h:3";
        for (String[] lines : new String[][] {{"log.directory=tx\\u0000log"},
                {members, "paxos.acceptor.directories=/a,/b\\u0000c"},
                {members, "paxos.tls.keystore=/k\\u0000.p12", "paxos.tls.keystore.password.env=K",
                        "paxos.tls.truststore=/t.pem", "paxos.tls.truststore.type=pem"}}) {
            String key = lines[lines.length == 1 ? 0 : 1].substring(0, lines[lines.length == 1 ? 0 : 1].indexOf('='));
            assertThatThrownBy(() -> ToolConfig.load(write(lines)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(key + " in ")
                    .hasMessageContaining("is not a valid path")
                    .hasMessageContaining("\\u0000");
        }
    }

    /** Found by ToolConfigFuzzTest (regression inputs regression-huge-*): NumberFormatException, ArithmeticException. */
    @Test
    void aDurationTooLargeIsRefusedNamingTheKey() throws Exception {
        for (String line : new String[] {"recovery.safety-interval=99999999999999999999s",
                "recovery.safety-interval=9999999999999999h", "recovery.safety-interval=999999999999999999m",
                "recovery.safety-interval=PT99999999999H"}) {
            assertThatThrownBy(() -> ToolConfig.load(write("log.directory=txlog", line)))
                    .as(line)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("recovery.safety-interval in ")
                    .hasMessageContaining("too large");
        }
        assertThatThrownBy(() -> ToolConfig.load(write("paxos.members=n1=h:1", "paxos.secret.env=S",
                "paxos.lease=9999999999999999h")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("paxos.lease in ");
        assertThat(ToolConfig.load(write("log.directory=txlog", "recovery.safety-interval=876000h")).safetyInterval())
                .isEqualTo(Duration.ofDays(36_500));
    }
}
