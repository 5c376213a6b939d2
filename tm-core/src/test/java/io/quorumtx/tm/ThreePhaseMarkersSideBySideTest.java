package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.spi.PreCommitMarker;
import io.quorumtx.tm.spi.ThreePhaseParticipant;
import io.quorumtx.tm.spi.ThreePhaseResource;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Three-phase commit writes its pre-commit markers side by side when the branches go side by side
 * ({@link BranchExecution}); serially under SERIAL. Proved by a latch: each participant's marker
 * write waits for the other's to start.
 */
class ThreePhaseMarkersSideBySideTest {

    /** A participant in memory whose marker write runs {@code onMarker} first. */
    private static final class Participant implements ThreePhaseParticipant {
        final String name;
        final Runnable onMarker;
        final Set<String> prepared = ConcurrentHashMap.newKeySet();
        final Set<String> committed = ConcurrentHashMap.newKeySet();
        final Set<String> aborted = ConcurrentHashMap.newKeySet();
        final Map<String, List<String>> markers = new ConcurrentHashMap<>();
        final Set<String> markerThreads = ConcurrentHashMap.newKeySet();

        Participant(String name, Runnable onMarker) {
            this.name = name;
            this.onMarker = onMarker;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void begin(String gtrid) {
        }

        @Override
        public boolean prepare(String gtrid) {
            prepared.add(gtrid);
            return true;
        }

        @Override
        public void preCommit(String gtrid, List<String> participants) {
            markerThreads.add(Thread.currentThread().getName());
            onMarker.run();
            markers.put(gtrid, participants);
        }

        @Override
        public void commit(String gtrid) {
            if (prepared.remove(gtrid)) {
                committed.add(gtrid);
            }
        }

        @Override
        public void abort(String gtrid) {
            if (prepared.remove(gtrid)) {
                aborted.add(gtrid);
            }
        }

        @Override
        public Collection<String> prepared() {
            return List.copyOf(prepared);
        }

        @Override
        public List<PreCommitMarker> markers() {
            List<PreCommitMarker> list = new ArrayList<>();
            markers.forEach((g, p) -> list.add(new PreCommitMarker(g, p, Instant.EPOCH)));
            return list;
        }

        @Override
        public void deleteMarkers(Collection<String> gtrids) {
            gtrids.forEach(markers::remove);
        }
    }

    /** Returns once both marker writes have started, or notes {@code alone} and fails after {@code deadline}. */
    private static Runnable meeting(CountDownLatch latch, Duration deadline, AtomicBoolean alone) {
        return () -> {
            latch.countDown();
            try {
                if (!latch.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                    alone.set(true);
                    throw new IllegalStateException("the other marker write never started: not side by side");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        };
    }

    private static void commitThreePhase(QuorumTransactionManager tm, Participant a, Participant b)
            throws Exception {
        ThreePhaseResource ra = new ThreePhaseResource(a);
        ThreePhaseResource rb = new ThreePhaseResource(b);
        tm.registerResource(ra);
        tm.registerResource(rb);
        tm.begin(CommitProtocolType.THREE_PHASE);
        tm.getTransaction().enlistResource(ra);
        tm.getTransaction().enlistResource(rb);
        tm.commit();
    }

    @Test
    void markersOfTwoServerParticipantsAreWrittenSideBySide() throws Exception {
        CountDownLatch both = new CountDownLatch(2);
        Duration meet = Duration.ofSeconds(10); // only a broken build waits it out
        AtomicBoolean alone = new AtomicBoolean();
        Participant a = new Participant("part-a", meeting(both, meet, alone));
        Participant b = new Participant("part-b", meeting(both, meet, alone));
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("mk").commitLog(
                new InMemoryCommitLog()).branchExecution(BranchExecution.AUTO, 4).build()) {
            commitThreePhase(tm, a, b);
        }
        assertThat(alone).as("no marker write waited alone").isFalse();
        assertThat(a.committed).as("committed after both markers").hasSize(1);
        assertThat(b.committed).hasSize(1);
        assertThat(a.markerThreads).hasSize(1);
        assertThat(b.markerThreads).hasSize(1).doesNotContainAnyElementsOf(a.markerThreads);
    }

    /**
     * Under SERIAL the first marker write waits alone and fails (the decision stands; recovery
     * writes the markers and commits later, which this test does not look at).
     */
    @Test
    void serialModeWritesOneMarkerAfterTheOther() throws Exception {
        CountDownLatch both = new CountDownLatch(2);
        Duration shortWait = Duration.ofMillis(300);
        AtomicBoolean alone = new AtomicBoolean();
        Participant a = new Participant("part-a", meeting(both, shortWait, alone));
        Participant b = new Participant("part-b", meeting(both, shortWait, alone));
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("mks").commitLog(
                new InMemoryCommitLog()).branchExecution(BranchExecution.SERIAL).build()) {
            commitThreePhase(tm, a, b);
            assertThat(alone).as("the first marker write waited alone: one after the other").isTrue();
        }
    }
}
