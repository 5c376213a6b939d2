package io.quorumtx.tm.log;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Run in a second JVM by {@link LocalCommitLogCrashTest}. With a count, commits that many records
 * into the log at {@code args[0]} and then dies without closing anything, as a killed process
 * would. Without one, commits from four threads until it is killed, printing "ack <gtrid>" for
 * every commit the log acknowledged.
 */
public final class CrashingCommitter {
    private CrashingCommitter() {
    }

    public static void main(String[] args) throws InterruptedException {
        LocalCommitLog log = LocalCommitLog.open(Path.of(args[0]));
        if (args.length > 1) {
            int count = Integer.parseInt(args[1]);
            for (int i = 0; i < count; i++) {
                log.logCommit(LogFixtures.commit("crash-" + i));
            }
            Runtime.getRuntime().halt(0);
        }
        PrintStream out = System.out;
        for (int t = 0; t < 4; t++) {
            int thread = t;
            new Thread(() -> {
                for (int i = 0; ; i++) {
                    String gtrid = "k" + thread + "-" + i;
                    log.logCommit(LogFixtures.commit(gtrid));
                    synchronized (out) {
                        out.println("ack " + gtrid);
                        out.flush();
                    }
                }
            }).start();
        }
        Thread.currentThread().join();
    }
}
