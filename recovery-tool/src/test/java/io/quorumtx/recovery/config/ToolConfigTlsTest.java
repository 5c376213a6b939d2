package io.quorumtx.recovery.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.paxos.TlsSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tool's {@code paxos.tls.*} keys: read with paths relative to the file, and mistakes named. */
class ToolConfigTlsTest {
    private static final String MEMBERS = "paxos.members=n1=127.0.0.1:7801,n2=127.0.0.1:7802,n3=127.0.0.1:7803";
    private static final String URL = "database.bank-a.url=jdbc:h2:mem:a";
    private static final String DIALECT = "database.bank-a.dialect=h2";

    @TempDir
    Path dir;

    private Path write(String... lines) throws Exception {
        Path file = dir.resolve("recovery.properties");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    @Test
    void tlsStoresAreReadWithTheirTypesAndPasswordVariables() throws Exception {
        ToolConfig config = ToolConfig.load(write(MEMBERS, URL, DIALECT, "paxos.tls.keystore=tool.p12",
                "paxos.tls.keystore.password.env=TOOL_KEYSTORE_PASSWORD", "paxos.tls.truststore=/etc/ca.pem",
                "paxos.tls.truststore.type=PEM"));

        ToolConfig.TlsFiles tls = config.paxos().orElseThrow().tls().orElseThrow();
        assertThat(tls.keyStore()).isEqualTo(dir.resolve("tool.p12"));
        assertThat(tls.keyStoreType()).isEqualTo(TlsSettings.StoreType.PKCS12);
        assertThat(tls.keyStorePasswordEnv()).contains("TOOL_KEYSTORE_PASSWORD");
        assertThat(tls.trustStore()).isEqualTo(Path.of("/etc/ca.pem"));
        assertThat(tls.trustStoreType()).isEqualTo(TlsSettings.StoreType.PEM);
        assertThat(tls.trustStorePasswordEnv()).isEqualTo(Optional.empty());
    }

    @Test
    void tlsAndASharedSecretTogetherAreRefused() throws Exception {
        Path file = write(MEMBERS, URL, DIALECT, "paxos.secret.env=S", "paxos.tls.keystore=a.pem",
                "paxos.tls.keystore.type=pem", "paxos.tls.truststore=ca.pem", "paxos.tls.truststore.type=pem");
        assertThatThrownBy(() -> ToolConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("sets both paxos.secret.env and paxos.tls.keystore");
    }

    @Test
    void aTlsConfigurationWithMistakesIsRefusedWithTheKeyNamed() throws Exception {
        assertThatThrownBy(() -> ToolConfig.load(write(MEMBERS, URL, DIALECT, "paxos.tls.keystore=a.pem",
                "paxos.tls.keystore.type=pem")))
                .hasMessageContaining("paxos.tls.truststore is missing");
        assertThatThrownBy(() -> ToolConfig.load(write(MEMBERS, URL, DIALECT, "paxos.tls.keystore=a.p12",
                "paxos.tls.truststore=ca.pem", "paxos.tls.truststore.type=pem")))
                .hasMessageContaining("paxos.tls.keystore.password.env is missing");
        assertThatThrownBy(() -> ToolConfig.load(write(MEMBERS, URL, DIALECT, "paxos.tls.keystore=a.pem",
                "paxos.tls.keystore.type=jks", "paxos.tls.truststore=ca.pem", "paxos.tls.truststore.type=pem")))
                .hasMessageContaining("paxos.tls.keystore.type").hasMessageContaining("'jks'; allowed values: pkcs12, pem");
        assertThatThrownBy(() -> ToolConfig.load(write(MEMBERS, URL, DIALECT, "paxos.tls.keystore=a.pem",
                "paxos.tls.keystore.type=pem", "paxos.tls.keystore.password.env=P", "paxos.tls.truststore=ca.pem",
                "paxos.tls.truststore.type=pem")))
                .hasMessageContaining("is PEM, which takes no password");
        assertThatThrownBy(() -> ToolConfig.load(write(URL, DIALECT, "log.directory=/x", "paxos.tls.keystore=a.pem")))
                .hasMessageContaining("paxos.tls.keystore in").hasMessageContaining("needs paxos.members");
    }

    @Test
    void aKeystorePasswordInTheFileIsRefusedWithoutRepeatingIt() throws Exception {
        Path file = write(MEMBERS, URL, DIALECT, "paxos.tls.keystore=a.p12", "paxos.tls.keystore.password=hunter2",
                "paxos.tls.truststore=ca.pem", "paxos.tls.truststore.type=pem");
        assertThatThrownBy(() -> ToolConfig.load(file)).hasMessageContaining("would put a password in the file")
                .hasMessageContaining("paxos.tls.keystore.password.env").hasMessageNotContaining("hunter2");
    }
}
