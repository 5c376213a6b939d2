package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.quorumtx.tm.fuzz.FuzzSupport;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzzes the acceptor file: {@link AcceptorLog#open} of a bootstrapped directory whose acceptor
 * file holds the input, which exercises the header check, {@link AcceptorRecords#decode} of every
 * record type, the torn-tail cut and the corrupt-record refusal.
 *
 * <p>The first input byte picks the mode: bit 0 set, the harness re-seals every frame's CRC-32C
 * ({@link FuzzSupport#resealFrames}) so the fuzzer reaches the record parsers; the rest is the file.
 *
 * <p>Properties: open succeeds or throws {@link CommitLogException} with a message, never an
 * unchecked exception of another kind; a refused file is left exactly as it was ("nothing was
 * changed"); an opened file keeps every byte up to the end of its intact records, and its records
 * re-encode to exactly those bytes (nothing dropped, merged or half-read); the repaired file is
 * usable: a record appended after open is replayed after the others by the next open.
 */
class AcceptorLogFuzzTest {
    private static final String NODE = "n1";
    private static final String FILE = AcceptorLog.fileName(1);
    private static Path template;

    @FuzzTest
    void openAcceptorFile(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        byte[] file = Arrays.copyOfRange(input, 1, input.length);
        if ((input[0] & 1) != 0) {
            file = FuzzSupport.resealFrames(file, 16);
        }
        Path dir = directoryHolding(file);
        try {
            check(dir, file);
        } finally {
            FuzzSupport.delete(dir);
        }
    }

    private static void check(Path dir, byte[] file) throws IOException {
        List<AcceptorRecord> replayed;
        AcceptorRecord.Promised added = new AcceptorRecord.Promised("n1.e9.9.9", new Ballot(7, "n1.e9.1"));
        try (AcceptorLog log = AcceptorLog.open(dir, NODE)) {
            replayed = log.replayed();
            int end = (int) log.size();
            byte[] now = Files.readAllBytes(dir.resolve(FILE));
            if (file.length >= 16) {
                assertThat(Arrays.copyOf(now, end)).as("the bytes up to the end of the intact records")
                        .isEqualTo(Arrays.copyOf(file, end));
                ByteArrayOutputStream reencoded = new ByteArrayOutputStream();
                for (AcceptorRecord r : replayed) {
                    reencoded.writeBytes(AcceptorRecords.encode(r));
                }
                assertThat(reencoded.toByteArray()).as("the records %s re-encoded", replayed)
                        .isEqualTo(Arrays.copyOfRange(file, 16, end));
            } else {
                assertThat(replayed).isEmpty();
            }
            for (int i = end; i < now.length; i++) {
                assertThat(now[i]).as("byte %d after the records (only zeros may stay)", i).isZero();
            }
            log.append(List.of(AcceptorRecords.encode(added)));
            log.force();
        } catch (CommitLogException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            assertThat(Files.readAllBytes(dir.resolve(FILE))).as("a refused acceptor file is left as it was")
                    .isEqualTo(file);
            return;
        }
        try (AcceptorLog log = AcceptorLog.open(dir, NODE)) {
            List<AcceptorRecord> expected = new ArrayList<>(replayed);
            expected.add(added);
            assertThat(log.replayed()).as("the records after a reopen").isEqualTo(expected);
        }
    }

    /** A fresh copy of a bootstrapped acceptor directory whose acceptor file holds {@code file}. */
    private static synchronized Path directoryHolding(byte[] file) throws IOException {
        if (template == null) {
            Path t = FuzzSupport.scratchDirectory("acceptor-template-");
            AcceptorLog.bootstrap(t, NODE).close();
            template = t;
        }
        Path dir = FuzzSupport.scratchDirectory("acceptor-");
        try (var files = Files.list(template)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Files.write(dir.resolve(FILE), file);
        return dir;
    }

    /** Every record type, as a bootstrapped acceptor writes them. */
    static List<AcceptorRecord> sampleRecords() {
        String g = "n1.e1.1.1";
        PaxosValue commit = PaxosValue.commit(new CommitRecord(g, List.of(new BranchRecord("db-a", "db-a"),
                new BranchRecord("db-b", "q")), 42));
        return List.of(new AcceptorRecord.Promised(g, new Ballot(0, "n1")),
                new AcceptorRecord.Accepted(g, new Ballot(0, "n1"), commit),
                new AcceptorRecord.Promised("n2.e1.1.1", new Ballot(2, "n3.e4.1")),
                new AcceptorRecord.Accepted("n2.e1.1.1", new Ballot(2, "n3.e4.1"), PaxosValue.abort()),
                new AcceptorRecord.BranchDone(g, new BranchRecord("db-a", "db-a")),
                new AcceptorRecord.Finished(g, commit, 1_700_000_000_000L),
                new AcceptorRecord.Finished("n2.e1.1.1", PaxosValue.abort(), 1_700_000_000_001L),
                new AcceptorRecord.Rejoined(1_700_000_000_000L, 1_700_000_030_000L));
    }

    static Map<String, byte[]> seeds() throws IOException {
        Path t = FuzzSupport.scratchDirectory("acceptor-seed-");
        try {
            AcceptorLog.bootstrap(t, NODE).close();
            byte[] header = Arrays.copyOf(Files.readAllBytes(t.resolve(FILE)), 16);
            Map<String, byte[]> seeds = new LinkedHashMap<>();
            seeds.put("empty", FuzzSupport.withMode(0, header));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(header);
            for (AcceptorRecord r : sampleRecords()) {
                all.writeBytes(AcceptorRecords.encode(r));
                String name = r.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
                ByteArrayOutputStream one = new ByteArrayOutputStream();
                one.writeBytes(header);
                one.writeBytes(AcceptorRecords.encode(r));
                seeds.putIfAbsent(name, FuzzSupport.withMode(1, one.toByteArray()));
            }
            byte[] every = all.toByteArray();
            seeds.put("every-type", FuzzSupport.withMode(0, every));
            seeds.put("every-type-resealed", FuzzSupport.withMode(1, every));
            byte[] zeroTail = Arrays.copyOf(every, every.length + 64);
            seeds.put("zero-tail", FuzzSupport.withMode(0, zeroTail));
            byte[] torn = Arrays.copyOf(every, every.length - 5);
            seeds.put("torn-tail", FuzzSupport.withMode(0, torn));
            byte[] corrupt = every.clone();
            corrupt[16 + 12] ^= 0x40; // inside the first record: an intact one follows
            seeds.put("corrupt-middle", FuzzSupport.withMode(0, corrupt));
            return seeds;
        } finally {
            FuzzSupport.delete(t);
        }
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzSupport.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        FuzzSupport.writeSeeds(AcceptorLogFuzzTest.class, "openAcceptorFile", seeds());
    }
}
