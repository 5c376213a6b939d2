package io.quorumtx.tm.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon threads named {@code quorumtx-<nodeId>-<role>}, so a thread dump shows whose they are. */
public final class NamedDaemonThreads implements ThreadFactory {
    private final String prefix;
    private final AtomicInteger count = new AtomicInteger();

    public NamedDaemonThreads(String nodeId, String role) {
        this.prefix = "quorumtx-" + nodeId + "-" + role;
    }

    @Override
    public Thread newThread(Runnable r) {
        int n = count.incrementAndGet();
        Thread t = new Thread(r, n == 1 ? prefix : prefix + "-" + n);
        t.setDaemon(true);
        return t;
    }
}
