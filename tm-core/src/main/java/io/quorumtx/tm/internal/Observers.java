package io.quorumtx.tm.internal;

import io.quorumtx.tm.spi.CommitPhase;
import io.quorumtx.tm.spi.CommitTimings;
import io.quorumtx.tm.spi.RecoveryPassSummary;
import io.quorumtx.tm.spi.TransactionObserver;
import io.quorumtx.tm.spi.TransactionOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The observers registered on one manager, as one {@link TransactionObserver} that shields the
 * commit path from them: each call reaches every observer, and an exception an observer throws
 * is caught and logged (once per observer, so a broken exporter cannot flood the log) and never
 * changes the transaction's outcome.
 *
 * <p>Immutable: adding or removing makes a new instance, which the engine publishes through one
 * volatile field. So the hot path pays one volatile read, and nothing at all beyond it when no
 * observer is registered (the field is then null).
 */
final class Observers implements TransactionObserver {
    private static final Logger LOG = LoggerFactory.getLogger(Observers.class);

    private final Entry[] entries;

    private record Entry(TransactionObserver observer, AtomicBoolean reported) {
    }

    private Observers(Entry[] entries) {
        this.entries = entries;
    }

    /** {@code current} (null: none) plus {@code observer}. */
    static Observers with(Observers current, TransactionObserver observer) {
        Objects.requireNonNull(observer, "observer");
        List<Entry> list = current == null ? new ArrayList<>() : new ArrayList<>(List.of(current.entries));
        list.add(new Entry(observer, new AtomicBoolean()));
        return new Observers(list.toArray(Entry[]::new));
    }

    /** {@code current} without {@code observer} (its first registration); null when none is left. */
    static Observers without(Observers current, TransactionObserver observer) {
        if (current == null) {
            return null;
        }
        List<Entry> list = new ArrayList<>(List.of(current.entries));
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).observer() == observer) {
                list.remove(i);
                break;
            }
        }
        return list.isEmpty() ? null : new Observers(list.toArray(Entry[]::new));
    }

    boolean contains(TransactionObserver observer) {
        for (Entry e : entries) {
            if (e.observer() == observer) {
                return true;
            }
        }
        return false;
    }

    private void each(String callback, Consumer<TransactionObserver> call) {
        for (Entry e : entries) {
            try {
                call.accept(e.observer());
            } catch (RuntimeException ex) {
                if (e.reported().compareAndSet(false, true)) {
                    LOG.error("Transaction observer {} threw from {}; its exceptions are ignored (the transaction is"
                            + " not affected) and further ones are not logged", e.observer(), callback, ex);
                }
            }
        }
    }

    @Override
    public void commitStarted(String gtrid, int branches) {
        each("commitStarted", o -> o.commitStarted(gtrid, branches));
    }

    @Override
    public void commitPhaseStarted(String gtrid, CommitPhase phase) {
        each("commitPhaseStarted", o -> o.commitPhaseStarted(gtrid, phase));
    }

    @Override
    public void commitFinished(String gtrid, TransactionOutcome outcome, CommitTimings timings) {
        each("commitFinished", o -> o.commitFinished(gtrid, outcome, timings));
    }

    @Override
    public void transactionFinished(String gtrid, TransactionOutcome outcome) {
        each("transactionFinished", o -> o.transactionFinished(gtrid, outcome));
    }

    @Override
    public void recoveryPassStarted() {
        each("recoveryPassStarted", TransactionObserver::recoveryPassStarted);
    }

    @Override
    public void recoveryPassFinished(RecoveryPassSummary summary) {
        each("recoveryPassFinished", o -> o.recoveryPassFinished(summary));
    }

    @Override
    public String toString() {
        return "Observers" + List.of(entries);
    }
}
