package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;

import io.quorumtx.tm.xid.QuorumXid;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README "Rotating the shared secret": members restarted one at a time through the three steps
 * (add the new secret as next, make it current with the old as previous, drop the old) while the
 * others commit; every commit of every member succeeds and is seen by the others at every step.
 */
class SecretRotationTest {
    private static final byte[] OLD = "old-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NEW = "new-secret-fedcba9876543210".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final List<String> members = new ArrayList<>();
    private final Map<String, ReplicatedCommitLog> logs = new LinkedHashMap<>();
    private int seq;

    @AfterEach
    void stop() {
        logs.values().forEach(ReplicatedCommitLog::close);
    }

    private void open(String id, byte[] current, byte[] other, boolean otherIsNext) {
        ReplicatedLogConfig.Builder b = ReplicatedLogConfig.builder().nodeId(id).dataDirectory(dir.resolve(id))
                .members(members).secret(current).requestTimeout(Duration.ofSeconds(1))
                .commitTimeout(Duration.ofSeconds(5))
                // a member's first start bootstraps it; the rotation's restarts reopen its files
                .startMode(java.nio.file.Files.isDirectory(dir.resolve(id)) ? StartMode.RESTART : StartMode.BOOTSTRAP);
        if (other != null) {
            b = otherIsNext ? b.nextSecret(other) : b.previousSecret(other);
        }
        logs.put(id, ReplicatedCommitLog.open(b.build()));
    }

    private void restart(String id, byte[] current, byte[] other, boolean otherIsNext) {
        logs.remove(id).close();
        commitOnEach(); // the two others commit while this one is down
        open(id, current, other, otherIsNext);
        commitOnEach();
    }

    /** One commit by every running member; each must succeed and be decided the same on the others. */
    private void commitOnEach() {
        for (String owner : new ArrayList<>(logs.keySet())) {
            String g = QuorumXid.formatGtrid(owner, "e1", ++seq, System.currentTimeMillis());
            logs.get(owner).logCommit(new CommitRecord(g, List.of(new BranchRecord("a", "a")), 1));
            for (Map.Entry<String, ReplicatedCommitLog> other : logs.entrySet()) {
                // a reader's first request to a member that just restarted may meet the old, dead
                // connection: the read is retried, the commit itself never failed
                Poll.until(other.getKey() + " reading COMMIT for " + owner + "'s commit " + seq,
                        Duration.ofSeconds(10), () -> other.getValue().decision(g) == Decision.COMMIT);
            }
        }
    }

    @Test
    void aRollingRotationThroughTheThreeStepsNeverFailsACommit() throws IOException {
        for (int i = 1; i <= 3; i++) {
            members.add("n" + i + "=127.0.0.1:" + TcpTransportTest.freePort());
        }
        open("n1", OLD, null, true);
        open("n2", OLD, null, true);
        open("n3", OLD, NEW, true); // one member already knows the next secret
        commitOnEach();

        restart("n1", OLD, NEW, true); // step 1: the new secret as "next" everywhere
        restart("n2", OLD, NEW, true);

        restart("n1", NEW, OLD, false); // step 2: the new one current, the old "previous"
        restart("n2", NEW, OLD, false);
        restart("n3", NEW, OLD, false);

        restart("n1", NEW, null, false); // step 3: the old one removed
        restart("n2", NEW, null, false);
        restart("n3", NEW, null, false);
        assertThat(seq).as("commits made").isGreaterThan(40);
    }

    @Test
    void aMemberWithOnlyTheNewSecretCannotJoinMembersThatDoNotKnowIt() throws IOException {
        for (int i = 1; i <= 3; i++) {
            members.add("n" + i + "=127.0.0.1:" + TcpTransportTest.freePort());
        }
        open("n1", OLD, null, true);
        open("n2", OLD, null, true);
        open("n3", NEW, null, true);
        String g = QuorumXid.formatGtrid("n3", "e1", ++seq, System.currentTimeMillis());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> logs.get("n3").logCommit(
                new CommitRecord(g, List.of(new BranchRecord("a", "a")), 1)))
                .hasMessageContaining("No majority");
    }
}
