package io.quorumtx.bench;

import java.nio.file.Path;
import java.util.Arrays;

import io.quorumtx.tm.paxos.ReplicatedCommitLog;

/**
 * A member of the benchmark's three-acceptor cluster that only runs its acceptor (no
 * transactions of its own): {@code PaxosAcceptorNode <node> <dataDir> <members>}. Prints READY,
 * then serves until its standard input closes.
 */
public final class PaxosAcceptorNode {
    private PaxosAcceptorNode() {
    }

    @SuppressWarnings("try") // the log is kept open to serve its peers until the process exits; the body does not reference it
    public static void main(String[] args) throws Exception {
        try (ReplicatedCommitLog log = ReplicatedCommitLog.open(PaxosTrio.config(args[0], Path.of(args[1]),
                Arrays.asList(args[2].split(","))))) {
            System.out.println("READY");
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the parent closes our input
            }
        }
        System.exit(0);
    }
}
