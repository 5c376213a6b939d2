package io.quorumtx.tm.log;

import java.nio.file.Path;

/**
 * Run in a second JVM by {@link LocalCommitLogLockTest}: tries to open the log directory given as
 * the argument. Exit 0 if it opened, 3 if refused (the message on stderr).
 */
public final class LockProbe {
    private LockProbe() {
    }

    public static void main(String[] args) {
        try (LocalCommitLog log = LocalCommitLog.open(Path.of(args[0]))) {
            System.out.println("opened " + log.directory());
        } catch (CommitLogException e) {
            System.err.println(e.getMessage());
            System.exit(3);
        }
    }
}
