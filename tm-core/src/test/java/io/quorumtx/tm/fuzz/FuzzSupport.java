package io.quorumtx.tm.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * What the fuzz tests ({@code *FuzzTest}, Jazzer's {@code @FuzzTest}) share: writing their seed
 * corpora, scratch directories, and re-sealing the CRC-32C of fuzzed frames.
 *
 * <p>Seeds: run a fuzz test class with {@code -Dquorumtx.fuzz.writeSeeds=true} and its
 * {@code writeSeeds} test writes valid encodings of every message or record kind into
 * {@code src/test/resources/<package>/<Class>Inputs/<method>/seed-*}, the directory Jazzer runs in
 * regression mode (every build) and starts from when fuzzing ({@code JAZZER_FUZZ=1}).
 */
public final class FuzzSupport {
    /** The system property that turns on the seed writers. */
    public static final String WRITE_SEEDS = "quorumtx.fuzz.writeSeeds";
    private static final AtomicLong SCRATCH = new AtomicLong();
    private static Path scratchRoot;

    private FuzzSupport() {
    }

    /** Writes {@code seeds} (file name to bytes) as inputs of {@code test}'s fuzz test {@code method}. */
    public static void writeSeeds(Class<?> test, String method, Map<String, byte[]> seeds) throws IOException {
        Path dir = Path.of("src", "test", "resources").resolve(test.getPackageName().replace('.', '/'))
                .resolve(test.getSimpleName() + "Inputs").resolve(method);
        Files.createDirectories(dir);
        for (var seed : seeds.entrySet()) {
            Files.write(dir.resolve("seed-" + seed.getKey()), seed.getValue());
        }
    }

    /**
     * A fresh empty directory for one execution, on a RAM disk where there is one (the targets
     * force files, and a fuzzer runs them many thousand times a minute). Delete it with {@link #delete}.
     */
    public static synchronized Path scratchDirectory(String prefix) {
        try {
            if (scratchRoot == null) {
                Path shm = Path.of("/dev/shm");
                Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
                scratchRoot = Files.createTempDirectory(base, "quorumtx-fuzz-");
                Path root = scratchRoot;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root)));
            }
            return Files.createDirectory(scratchRoot.resolve(prefix + SCRATCH.incrementAndGet()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code dir} and everything in it. */
    public static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Re-seals the frames {@code length:int32 crc:int32 body} found one after the other from
     * {@code offset}: every frame whose length fits gets the CRC-32C of its body, so a fuzzer (which
     * cannot compute a CRC) reaches the record parsers behind the check. Stops at the first length
     * that does not fit. Returns a copy.
     */
    public static byte[] resealFrames(byte[] bytes, int offset) {
        byte[] out = bytes.clone();
        ByteBuffer data = ByteBuffer.wrap(out);
        CRC32C crc = new CRC32C();
        int at = offset;
        while (at >= 0 && out.length - at >= 9) {
            int length = data.getInt(at);
            if (length < 1 || length > out.length - at - 8) {
                break;
            }
            crc.reset();
            crc.update(out, at + 8, length);
            data.putInt(at + 4, (int) crc.getValue());
            at += 8 + length;
        }
        return out;
    }

    /** Writes {@code input} as the regression input {@code regression-<name>} of a crash a fuzz run found. */
    public static void writeRegression(Class<?> test, String method, String name, byte[] input) throws IOException {
        Path dir = Path.of("src", "test", "resources").resolve(test.getPackageName().replace('.', '/'))
                .resolve(test.getSimpleName() + "Inputs").resolve(method);
        Files.createDirectories(dir);
        Files.write(dir.resolve("regression-" + name), input);
    }

    /** {@code flag} followed by {@code body}: the mode byte the file targets start with. */
    public static byte[] withMode(int flag, byte[] body) {
        byte[] out = new byte[body.length + 1];
        out[0] = (byte) flag;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }
}
