package io.quorumtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommitLogsTest {
    @TempDir
    Path dir;

    @Test
    void theReplicatedLogWithoutItsSecretNamesTheEnvironmentVariableToSet() {
        QuorumTxProperties.Log log = replicated();
        log.getReplicated().setSecretEnv("QUORUMTX_TEST_SECRET_THAT_IS_NOT_SET");

        assertThatThrownBy(() -> CommitLogs.configure(QuorumTransactionManager.builder(), "n1", log, null))
                .hasMessageContaining("QUORUMTX_TEST_SECRET_THAT_IS_NOT_SET")
                .hasMessageContaining("quorumtx.log.replicated.secret");
    }

    @Test
    void aBadReplicatedSettingIsNamedAndTheSecretNeverAppears() {
        QuorumTxProperties.Log log = replicated();
        log.getReplicated().setSecret("a-secret-of-more-than-16-bytes");
        log.getReplicated().setStartMode("RESUME");

        assertThatThrownBy(() -> CommitLogs.configure(QuorumTransactionManager.builder(), "n1", log, null))
                .hasMessageContaining("quorumtx.log.replicated.start-mode 'RESUME'")
                .hasMessageNotContaining("a-secret-of-more-than-16-bytes");
        assertThat(log.getReplicated().toString()).doesNotContain("a-secret-of-more-than-16-bytes");
    }

    @Test
    void theReplicatedLogNeedsItsDirectoryAndMembers() {
        QuorumTxProperties.Log log = new QuorumTxProperties.Log();
        log.setType(QuorumTxProperties.LogType.REPLICATED);

        assertThatThrownBy(() -> CommitLogs.configure(QuorumTransactionManager.builder(), "n1", log, null))
                .hasMessageContaining("quorumtx.log.replicated.data-directory");
        log.getReplicated().setDataDirectory(dir);
        assertThatThrownBy(() -> CommitLogs.configure(QuorumTransactionManager.builder(), "n1", log, null))
                .hasMessageContaining("quorumtx.log.replicated.members");
    }

    private QuorumTxProperties.Log replicated() {
        QuorumTxProperties.Log log = new QuorumTxProperties.Log();
        log.setType(QuorumTxProperties.LogType.REPLICATED);
        log.getReplicated().setDataDirectory(dir);
        log.getReplicated().setMembers(List.of("n1=127.0.0.1:1", "n2=127.0.0.1:2", "n3=127.0.0.1:3"));
        return log;
    }
}
