package io.quorumtx.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.quorumtx.tm.CommitProtocolType;

/**
 * Every system the benchmark can run, by its name in results.csv: one row of {@link #ALL} each.
 *
 * <p>A new configuration (another commit log, a branch-execution setting, another peer) is one
 * more row here: a name, whether the default run includes it, and how to build it from the
 * cell's two databases. Nothing else in the runner lists systems; {@code bench.systems=default}
 * (the pom's default) means every row marked {@link Run#DEFAULT}, in this order, which is also
 * the order of the printed table.
 */
final class Systems {

    /** Whether a plain {@code mvn -Pbench verify} runs a system, or only when named in {@code bench.systems}. */
    enum Run { DEFAULT, DIAGNOSTIC }

    /** What a system is built from: the cell's databases and where its logs go. */
    record Cell(String system, BankDatabase a, BankDatabase b, Path out, String run, int maxThreads) {
        /**
         * QuorumTX's commit log directory for this system and run. {@code -Dbench.logRoot=/dev/shm/x}
         * (diagnostic only) moves it to a RAM disk, to separate the cost of the log force from the
         * rest of the TM.
         */
        Path logs() {
            String root = System.getProperty("bench.logRoot");
            Path base = root == null ? out.resolve("quorumtx") : Path.of(root);
            return base.resolve(system + "-" + run);
        }
    }

    @FunctionalInterface
    interface Factory {
        TransferSystem create(Cell cell) throws Exception;
    }

    record Entry(String name, Run run, Factory factory) {
    }

    /** The systems, in the order of the table. */
    static final List<Entry> ALL = List.of(
            new Entry("quorumtx-xa", Run.DEFAULT, c -> QuorumSystem.xa(c.logs(), c.a(), c.b(), c.maxThreads())),
            new Entry("quorumtx-dialect", Run.DEFAULT,
                    c -> QuorumSystem.dialect(c.logs(), c.a(), c.b(), c.maxThreads())),
            // The database commit log in bank A, carried by A's one-phase commit (issue 14).
            new Entry("quorumtx-dblog", Run.DEFAULT, c -> QuorumSystem.dbLog(true, c.a(), c.b(), c.maxThreads())),
            new Entry("quorumtx-dblog-dialect", Run.DEFAULT,
                    c -> QuorumSystem.dbLog(false, c.a(), c.b(), c.maxThreads())),
            new Entry("quorumtx-paxos3", Run.DEFAULT, c -> QuorumSystem.paxos3(c.logs(), c.a(), c.b(), c.maxThreads())),
            new Entry("quorumtx-3pc", Run.DEFAULT,
                    c -> QuorumSystem.threePhase(c.logs(), c.a(), c.b(), c.maxThreads())),
            new Entry("quorumtx-3pc-paxos3", Run.DEFAULT, c -> QuorumSystem.paxos3(c.logs(), c.a(), c.b(),
                    c.maxThreads(), CommitProtocolType.THREE_PHASE)),
            new Entry("narayana", Run.DEFAULT, c -> new NarayanaSystem(c.a(), c.b(), c.out().resolve("narayana"))),
            new Entry("atomikos", Run.DEFAULT,
                    c -> new AtomikosSystem(c.a(), c.b(), c.out().resolve("atomikos"), c.run(), c.maxThreads())),
            new Entry("raw-xa", Run.DEFAULT, c -> new RawXaSystem(c.a(), c.b())),
            // QuorumTX's TM with hand-enlisted XAResources, to split the TM's cost from the adapter's.
            new Entry("quorumtx-tm", Run.DIAGNOSTIC, c -> new QuorumTmOnlySystem(c.a(), c.b(), c.logs())));

    private Systems() {
    }

    static List<String> defaultNames() {
        return ALL.stream().filter(e -> e.run() == Run.DEFAULT).map(Entry::name).toList();
    }

    static List<String> allNames() {
        return ALL.stream().map(Entry::name).toList();
    }

    static Optional<Entry> byName(String name) {
        return ALL.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** {@code run} names this instance's logs and resources: the workload, or "jit" for the JVM warm-up. */
    static TransferSystem create(String name, BankDatabase a, BankDatabase b, Path out, String run,
                                 int maxThreads) throws Exception {
        Entry entry = byName(name).orElseThrow(() -> new IllegalArgumentException("unknown system: " + name));
        return entry.factory().create(new Cell(name, a, b, out, run, maxThreads));
    }
}
