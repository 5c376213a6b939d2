package io.quorumtx.bench;

import java.nio.file.Path;

/** Builds a system by its name in results.csv. */
final class Systems {
    private Systems() {
    }

    /** {@code run} names this instance's logs and resources: the workload, or "jit" for the JVM warm-up. */
    static TransferSystem create(String name, BankDatabase a, BankDatabase b, Path out, String run,
                                 int maxThreads) throws Exception {
        return switch (name) {
            case "quorumtx-xa" -> QuorumSystem.xa(logs(out, name, run), a, b, maxThreads);
            case "quorumtx-dialect" -> QuorumSystem.dialect(logs(out, name, run), a, b, maxThreads);
            case "quorumtx-paxos3" -> QuorumSystem.paxos3(logs(out, name, run), a, b, maxThreads);
            case "quorumtx-3pc" -> QuorumSystem.threePhase(logs(out, name, run), a, b, maxThreads);
            case "quorumtx-3pc-paxos3" -> QuorumSystem.paxos3(logs(out, name, run), a, b, maxThreads,
                    io.quorumtx.tm.CommitProtocolType.THREE_PHASE);
            case "raw-xa" -> new RawXaSystem(a, b);
            case "quorumtx-tm" -> new QuorumTmOnlySystem(a, b, logs(out, name, run));
            case "narayana" -> new NarayanaSystem(a, b, out.resolve("narayana"));
            case "atomikos" -> new AtomikosSystem(a, b, out.resolve("atomikos"), run, maxThreads);
            default -> throw new IllegalArgumentException("unknown system: " + name);
        };
    }

    /**
     * QuorumTX's commit log directory. {@code -Dbench.logRoot=/dev/shm/x} (diagnostic only) moves
     * it to a RAM disk, to separate the cost of the log force from the rest of the TM.
     */
    private static Path logs(Path out, String system, String run) {
        String root = System.getProperty("bench.logRoot");
        Path base = root == null ? out.resolve("quorumtx") : Path.of(root);
        return base.resolve(system + "-" + run);
    }
}
