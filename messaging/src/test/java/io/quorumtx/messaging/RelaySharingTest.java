package io.quorumtx.messaging;

import static io.quorumtx.messaging.OutboxTransactionTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several relays on one outbox: shared partitions, no double publication, takeover after a death. */
class RelaySharingTest {
    @TempDir
    Path dir;

    /**
     * Closing a relay never interrupts its thread: it may be inside the outbox database's I/O, and
     * H2 closes its database file when a thread in its file I/O is interrupted (the application's
     * database, not just the relay's). Here the relay is inside a publish when close() comes.
     */
    @Test
    void closingARelayLetsItsPassFinishUninterrupted() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.H2)) {
            CountDownLatch publishing = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean interrupted = new AtomicBoolean();
            MessagePublisher blocking = new MessagePublisher() {
                @Override
                public void publish(List<OutboxMessage> batch) {
                    publishing.countDown();
                    try {
                        release.await(); // stands for the relay's database or broker call in progress
                    } catch (InterruptedException e) {
                        interrupted.set(true);
                    }
                }

                @Override
                public void close() {
                }
            };
            OutboxRelay relay = f.relay(blocking).relayId("closing").build();
            relay.start();
            f.tm.begin();
            f.outbox.send("d", "k", bytes("m"), Map.of());
            f.tm.commit();
            assertThat(publishing.await(30, TimeUnit.SECONDS)).as("the relay is publishing").isTrue();

            Thread closer = new Thread(relay::close, "closer");
            closer.start();
            Poll.until("close() has begun and waits for the pass", Duration.ofSeconds(10),
                    () -> closer.getState() == Thread.State.TIMED_WAITING || closer.getState() == Thread.State.WAITING);
            release.countDown();
            closer.join(30_000);

            assertThat(closer.isAlive()).as("close() returned").isFalse();
            assertThat(interrupted).as("the relay's pass was interrupted by close()").isFalse();
        }
    }

    @Test
    void twoRelaysShareThePartitionsAndPublishEveryMessageOnceInKeyOrder() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.H2)) {
            List<RecordingPublisher.Publication> log = RecordingPublisher.sharedLog();
            OutboxRelay a = f.closeAtEnd(f.relay(new RecordingPublisher("a", log)).relayId("a").build());
            OutboxRelay b = f.closeAtEnd(f.relay(new RecordingPublisher("b", log)).relayId("b").build());
            a.start();
            b.start();
            // Fair shares: 2 of the 4 partitions each (a relay that started alone first gives up its surplus).
            Poll.until("each relay holds 2 partitions", Duration.ofSeconds(20),
                    () -> partitionsPerOwner(f).equals(Map.of("a", 2L, "b", 2L)));

            int messages = 0;
            for (int round = 0; round < 40; round++) {
                f.tm.begin();
                for (int k = 0; k < 3; k++) {
                    f.outbox.send("d", "key-" + ((round * 3 + k) % 24), bytes("m"), Map.of());
                    messages++;
                }
                f.tm.commit();
            }
            int expected = messages;
            Poll.until("every message published", Duration.ofSeconds(30), () -> log.size() >= expected
                    && f.count(f.plain, f.table) == 0);

            assertThat(RecordingPublisher.countsById(log).values()).as("publications per message")
                    .hasSize(expected).containsOnly(1L);
            RecordingPublisher.seqsByKey(log).forEach((key, seqs) -> assertThat(seqs).as("order of " + key)
                    .isSorted().doesNotHaveDuplicates().first().isEqualTo(1L));
            assertThat(log.stream().map(RecordingPublisher.Publication::relay).collect(Collectors.toSet()))
                    .as("both relays published").containsExactlyInAnyOrder("a", "b");
            Map<String, Set<String>> relaysPerKey = log.stream().collect(Collectors.groupingBy(
                    p -> p.message().key(), Collectors.mapping(RecordingPublisher.Publication::relay, Collectors.toSet())));
            assertThat(relaysPerKey.values()).as("a key stays with the relay owning its partition").allMatch(s -> s.size() == 1);
        }
    }

    @Test
    void anAbandonedRelaysPartitionsAreTakenOverWhenItsLeaseEnds() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.H2)) {
            List<RecordingPublisher.Publication> log = RecordingPublisher.sharedLog();
            // Driven by hand: after its first pass it is never called again, as if its process had died.
            OutboxRelay dead = f.relay(new RecordingPublisher("dead", log)).relayId("dead").build();
            OutboxRelay survivor = f.closeAtEnd(f.relay(new RecordingPublisher("survivor", log)).relayId("survivor").build());
            assertThat(dead.relayOnce()).isZero();
            assertThat(owners(f)).containsExactly("dead");

            f.tm.begin();
            for (int i = 0; i < 20; i++) {
                f.outbox.send("d", "key-" + (i % 5), bytes("m" + i), Map.of());
            }
            f.tm.commit();
            long abandoned = System.nanoTime();
            assertThat(survivor.relayOnce()).as("the dead relay's lease still runs").isZero();
            Poll.until("the survivor published everything", Duration.ofSeconds(30), () -> {
                survivor.relayOnce();
                return f.count(f.plain, f.table) == 0;
            });
            assertThat(Duration.ofNanos(System.nanoTime() - abandoned)).as("not before the lease (3 s) ended")
                    .isGreaterThan(Duration.ofMillis(2500));
            assertThat(log).hasSize(20).allMatch(p -> p.relay().equals("survivor"));
            RecordingPublisher.seqsByKey(log).forEach((key, seqs) -> assertThat(seqs).isEqualTo(List.of(1L, 2L, 3L, 4L)));
        }
    }

    @Test
    void aClosedRelayHandsItsPartitionsOverAtOnce() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.H2)) {
            List<RecordingPublisher.Publication> log = RecordingPublisher.sharedLog();
            OutboxRelay first = f.relay(new RecordingPublisher("first", log)).relayId("first").build();
            OutboxRelay second = f.closeAtEnd(f.relay(new RecordingPublisher("second", log)).relayId("second").build());
            assertThat(first.relayOnce()).isZero();
            first.close();
            f.tm.begin();
            f.outbox.send("d", "k", bytes("m"), Map.of());
            f.tm.commit();
            assertThat(second.relayOnce()).as("no lease to wait for").isEqualTo(1);
            assertThat(log).singleElement().matches(p -> p.relay().equals("second"));
        }
    }

    @Test
    void whileThePublisherFailsMessagesWaitAndTheRelayBacksOffThenTheyFlow() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.H2)) {
            List<RecordingPublisher.Publication> log = RecordingPublisher.sharedLog();
            RecordingPublisher publisher = new RecordingPublisher("r", log);
            publisher.failing(true);
            OutboxRelay relay = f.closeAtEnd(f.relay(publisher).build());
            f.tm.begin();
            f.outbox.send("d", "k", bytes("1"), Map.of());
            f.outbox.send("d", "k", bytes("2"), Map.of());
            f.tm.commit();
            relay.start();
            Poll.until("several failed passes", Duration.ofSeconds(20), () -> relay.consecutiveFailures() >= 4);
            assertThat(relay.pending()).isEqualTo(2);
            assertThat(relay.oldestPendingAge()).get().matches(age -> !age.isNegative());
            assertThat(log).isEmpty();
            publisher.failing(false);
            Poll.until("published after the outage", Duration.ofSeconds(20), () -> relay.pending() == 0);
            assertThat(log).extracting(p -> p.message().keySeq()).containsExactly(1L, 2L);
            assertThat(relay.deadCount()).as("an outage parks nothing").isZero();
            assertThat(relay.oldestPendingAge()).isEmpty();
        }
    }

    private static Map<String, Long> partitionsPerOwner(Fixture f) throws Exception {
        Map<String, Long> counts = new java.util.HashMap<>();
        try (Connection c = f.plain.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT owner FROM " + f.table + "_lease WHERE owner IS NOT NULL")) {
            while (rs.next()) {
                counts.merge(rs.getString(1), 1L, Long::sum);
            }
        }
        return counts;
    }

    private static Set<String> owners(Fixture f) throws Exception {
        Set<String> owners = new HashSet<>();
        try (Connection c = f.plain.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT owner FROM " + f.table + "_lease WHERE owner IS NOT NULL")) {
            while (rs.next()) {
                owners.add(rs.getString(1));
            }
        }
        return owners;
    }
}
