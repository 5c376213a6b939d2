package io.quorumtx.it.threephase;

import io.quorumtx.tm.spi.PreCommitMarker;
import io.quorumtx.tm.spi.ThreePhaseParticipant;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A three-phase-commit participant that is not a database: a ledger of amounts kept in files, one
 * file per transaction, that survives the process being killed at any point.
 *
 * <p>Layout under its directory: {@code prepared/<gtrid>} (the amount, written at prepare),
 * {@code committed/<gtrid>} (moved there atomically at commit), {@code markers/<gtrid>} (the
 * pre-commit marker, listing the participants). Every file is written to a temporary name, forced
 * and renamed, and the directory is forced after, so each step is durable and all-or-nothing.
 * The balance is the sum of the committed amounts. Work is staged in memory with {@link #add}
 * until prepare (a crash before prepare loses it, as a database loses an unprepared branch).
 *
 * <p>The recovery tool builds it from {@code participant.<name>.class} and
 * {@code participant.<name>.directory} through the {@code (String, Map)} constructor.
 */
public final class FileLedger implements ThreePhaseParticipant {
    private final String name;
    private final Path prepared;
    private final Path committed;
    private final Path markers;
    private final Map<String, Long> staged = new ConcurrentHashMap<>();

    public FileLedger(String name, Path directory) {
        this.name = name;
        this.prepared = directory.resolve("prepared");
        this.committed = directory.resolve("committed");
        this.markers = directory.resolve("markers");
        try {
            Files.createDirectories(prepared);
            Files.createDirectories(committed);
            Files.createDirectories(markers);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the ledger directories under " + directory, e);
        }
    }

    /** For the recovery tool: {@code settings} must hold {@code directory}. */
    public FileLedger(String name, Map<String, String> settings) {
        this(name, Path.of(require(settings, "directory")));
    }

    private static String require(Map<String, String> settings, String key) {
        String value = settings.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("participant setting '" + key + "' is missing");
        }
        return value;
    }

    /** Stages {@code amount} for transaction {@code gtrid} (the application's work). */
    public void add(String gtrid, long amount) {
        staged.merge(gtrid, amount, Long::sum);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void begin(String gtrid) {
        staged.putIfAbsent(gtrid, 0L);
    }

    @Override
    public boolean prepare(String gtrid) throws IOException {
        Long amount = staged.remove(gtrid);
        if (amount == null) {
            return Files.exists(prepared.resolve(gtrid)); // prepared already (a repeated prepare), else no work
        }
        writeDurably(prepared, gtrid, Long.toString(amount));
        return true;
    }

    @Override
    public void preCommit(String gtrid, List<String> participants) throws IOException {
        writeDurably(markers, gtrid, String.join(",", participants));
    }

    @Override
    public void commit(String gtrid) throws IOException {
        Path from = prepared.resolve(gtrid);
        if (!Files.exists(from)) {
            return; // committed already, or never prepared here
        }
        Files.move(from, committed.resolve(gtrid), StandardCopyOption.ATOMIC_MOVE);
        force(committed);
        force(prepared);
    }

    @Override
    public void abort(String gtrid) throws IOException {
        staged.remove(gtrid);
        if (Files.deleteIfExists(prepared.resolve(gtrid))) {
            force(prepared);
        }
    }

    @Override
    public Collection<String> prepared() throws IOException {
        return names(prepared);
    }

    @Override
    public List<PreCommitMarker> markers() throws IOException {
        List<PreCommitMarker> result = new ArrayList<>();
        for (String gtrid : names(markers)) {
            Path file = markers.resolve(gtrid);
            try {
                result.add(new PreCommitMarker(gtrid, Arrays.asList(Files.readString(file).split(",")),
                        Instant.ofEpochMilli(Files.getLastModifiedTime(file).toMillis())));
            } catch (NoSuchFileException deletedMeanwhile) {
                // gone between the listing and the read
            }
        }
        return result;
    }

    @Override
    public void deleteMarkers(Collection<String> gtrids) throws IOException {
        for (String gtrid : gtrids) {
            Files.deleteIfExists(markers.resolve(gtrid));
        }
        force(markers);
    }

    /** The sum of the committed amounts. */
    public long balance() throws IOException {
        long sum = 0;
        for (String gtrid : names(committed)) {
            sum += Long.parseLong(Files.readString(committed.resolve(gtrid)).trim());
        }
        return sum;
    }

    /** How many transactions committed here. */
    public int committedCount() throws IOException {
        return names(committed).size();
    }

    /** Whether {@code gtrid} committed here. */
    public boolean committed(String gtrid) {
        return Files.exists(committed.resolve(gtrid));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".tmp")).sorted().toList();
        }
    }

    private static void writeDurably(Path dir, String file, String content) throws IOException {
        Path tmp = dir.resolve(file + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        force(dir);
    }

    private static void force(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public String toString() {
        return "FileLedger[" + name + "]";
    }
}
