package io.quorumtx.tm.testkit;

import jakarta.transaction.Synchronization;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A Synchronization that appends "name.before" / "name.after(status)" to a shared journal. */
public final class RecordingSynchronization implements Synchronization {
    private final String name;
    private final List<String> journal;
    private final RuntimeException failBefore;

    public RecordingSynchronization(String name, List<String> journal) {
        this(name, journal, null);
    }

    public RecordingSynchronization(String name, List<String> journal, RuntimeException failBefore) {
        this.name = name;
        this.journal = journal;
        this.failBefore = failBefore;
    }

    public static List<String> journal() {
        return new CopyOnWriteArrayList<>();
    }

    @Override
    public void beforeCompletion() {
        journal.add(name + ".before");
        if (failBefore != null) {
            throw failBefore;
        }
    }

    @Override
    public void afterCompletion(int status) {
        journal.add(name + ".after(" + status + ")");
    }
}
