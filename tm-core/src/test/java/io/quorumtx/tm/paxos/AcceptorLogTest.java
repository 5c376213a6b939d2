package io.quorumtx.tm.paxos;

import java.nio.charset.StandardCharsets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceptorLogTest {

    @TempDir
    Path dir;

    private static final String G = "n1.e1.1.1";
    private static final PaxosValue COMMIT = PaxosValue.commit(new CommitRecord(G, List.of(new BranchRecord("a", "a")), 5));

    private static List<AcceptorRecord> records() {
        return List.of(new AcceptorRecord.Promised(G, new Ballot(2, "n2")),
                new AcceptorRecord.Accepted(G, new Ballot(3, "n3"), COMMIT),
                new AcceptorRecord.BranchDone(G, new BranchRecord("a", "a")),
                new AcceptorRecord.Accepted("n1.e1.2.1", new Ballot(1, "n2"), PaxosValue.abort()),
                new AcceptorRecord.Finished("n1.e1.3.1", PaxosValue.commit(new CommitRecord("n1.e1.3.1",
                        List.of(new BranchRecord("b", "b")), 6)), 77));
    }

    private void write(List<AcceptorRecord> records) throws IOException {
        try (AcceptorLog log = AcceptorLog.bootstrap(dir, "n1")) {
            List<byte[]> frames = new ArrayList<>();
            for (AcceptorRecord r : records) {
                frames.add(AcceptorRecords.encode(r));
            }
            log.append(frames);
            log.force();
        }
    }

    private Path file() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log")).findFirst().orElseThrow();
        }
    }

    @Test
    void everyRecordComesBackInOrderAfterReopening() throws IOException {
        write(records());
        try (AcceptorLog log = AcceptorLog.open(dir, "n1")) {
            assertThat(log.replayed()).containsExactlyElementsOf(records());
            assertThat(log.openReport()).as("preallocated zeros are not a torn tail").doesNotContain("torn");
        }
    }

    @Test
    void aTornLastWriteIsCutAndLaterWritesFollowTheLastIntactRecord() throws IOException {
        write(records());
        Path file = file();
        byte[] bytes = Files.readAllBytes(file);
        int end = 16; // the header, then the records; preallocated zeros follow
        for (AcceptorRecord r : records()) {
            end += AcceptorRecords.encode(r).length;
        }
        byte[] extra = AcceptorRecords.encode(new AcceptorRecord.Promised("n1.e1.9.1", new Ballot(9, "n9")));
        System.arraycopy(extra, 0, bytes, end, extra.length / 2); // half a frame reached the disk
        Files.write(file, bytes);

        AcceptorRecord later = new AcceptorRecord.Promised("n1.e1.8.1", new Ballot(4, "n2"));
        try (AcceptorLog log = AcceptorLog.open(dir, "n1")) {
            assertThat(log.replayed()).containsExactlyElementsOf(records());
            assertThat(log.openReport()).contains("torn tail");
            log.append(List.of(AcceptorRecords.encode(later)));
            log.force();
        }
        try (AcceptorLog log = AcceptorLog.open(dir, "n1")) {
            List<AcceptorRecord> expected = new ArrayList<>(records());
            expected.add(later);
            assertThat(log.replayed()).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void aCorruptRecordInTheMiddleRefusesToStartAndChangesNothing() throws IOException {
        write(records());
        Path file = file();
        byte[] bytes = Files.readAllBytes(file);
        byte[] damaged = bytes.clone();
        int second = 16 + AcceptorRecords.encode(records().get(0)).length;
        damaged[second + 12] ^= 0x55; // inside the second record; intact ones follow
        Files.write(file, damaged);

        assertThatThrownBy(() -> AcceptorLog.open(dir, "n1")).isInstanceOf(CommitLogException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("corrupt at offset " + second)
                .hasMessageContaining("refuses to start");
        assertThat(Files.readAllBytes(file)).isEqualTo(damaged);
    }

    @Test
    @SuppressWarnings("try") // the log is held open only so a second open is refused
    void aDirectoryOfAnotherNodeOrOneAlreadyOpenIsRefused() throws IOException {
        write(records());
        assertThatThrownBy(() -> AcceptorLog.open(dir, "n2")).hasMessageContaining("belongs to node 'n1'");
        try (AcceptorLog open = AcceptorLog.open(dir, "n1")) {
            assertThatThrownBy(() -> AcceptorLog.open(dir, "n1")).hasMessageContaining(dir.getFileName().toString());
        }
    }

    @Test
    void anOrdinaryOpenRefusesAnEmptyDirectoryAndARejoinThatDiedBeforeNamingItsFileLeavesNone() throws IOException {
        assertThatThrownBy(() -> AcceptorLog.open(dir, "n1")).isInstanceOf(CommitLogException.class)
                .hasMessageContaining("holds no acceptor file").hasMessageContaining("StartMode.BOOTSTRAP")
                .hasMessageContaining("StartMode.REJOIN");
        Files.write(dir.resolve(AcceptorLog.fileName(1) + ".tmp"), new byte[] {1, 2, 3}); // a REJOIN that died mid-way
        assertThatThrownBy(() -> AcceptorLog.open(dir, "n1")).hasMessageContaining("holds no acceptor file");
        AcceptorRecord.Rejoined fence = new AcceptorRecord.Rejoined(100, 130);
        try (AcceptorLog log = AcceptorLog.rejoin(dir, "n1", fence)) {
            assertThat(log.replayed()).containsExactly(fence);
        }
        try (AcceptorLog log = AcceptorLog.open(dir, "n1")) {
            assertThat(log.replayed()).as("the fence is the first record, durable before the file got its name")
                    .containsExactly(fence);
        }
        assertThatThrownBy(() -> AcceptorLog.rejoin(dir, "n1", fence)).hasMessageContaining("already holds");
    }

    @Test
    void aFileThatIsNotAnAcceptorFileIsRefused() throws IOException {
        write(records());
        Path file = file();
        Files.write(file, "hello, this is not a log at all".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> AcceptorLog.open(dir, "n1")).isInstanceOf(CommitLogException.class)
                .hasMessageContaining("does not start with a QuorumTX acceptor header");
    }

    @Test
    void compactionKeepsExactlyTheLiveStateAndSurvivesReopening() throws IOException {
        AcceptorState state = new AcceptorState();
        for (AcceptorRecord r : records()) {
            state.replay(r);
        }
        try (AcceptorLog log = AcceptorLog.bootstrap(dir, "n1")) {
            List<byte[]> frames = new ArrayList<>();
            for (AcceptorRecord r : records()) {
                frames.add(AcceptorRecords.encode(r));
            }
            log.append(frames);
            List<AcceptorRecord> live = new ArrayList<>();
            state.slots().forEach((g, s) -> live.addAll(AcceptorState.recordsOf(g, s)));
            log.compact(live);
        }
        try (AcceptorLog log = AcceptorLog.open(dir, "n1")) {
            AcceptorState again = new AcceptorState();
            log.replayed().forEach(again::replay);
            assertThat(again.slots()).isEqualTo(state.slots());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("acceptor-")))
                    .containsExactly(AcceptorLog.fileName(2));
        }
    }
}
