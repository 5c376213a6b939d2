package io.quorumtx.it.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import io.quorumtx.it.messaging.CrashingPublisher.Point;
import io.quorumtx.it.messaging.Producer.Sent;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.Poll;

/**
 * Relays die by SIGKILL while publishing, and the messages survive them (issue 17). A producer in
 * this JVM commits transactions that write PostgreSQL and MariaDB and send one message through the
 * outbox (about one in four rolls back on purpose); relays run in forked JVMs and are killed at
 * named points — the broker confirmed the whole batch but the rows are not deleted
 * ({@link Point#AFTER_CONFIRM}); half the batch is confirmed, the rest never sent
 * ({@link Point#MID_BATCH}) — and at random moments while they publish, each time replaced by a
 * new relay JVM. At the end, in the consumer's own database:
 *
 * <ul>
 *   <li>every committed message has arrived (at least once), and nothing that rolled back ever did;</li>
 *   <li>each committed message was processed exactly once: the {@code Inbox} filters RabbitMQ's
 *       re-publications (which must really happen: the test checks there were duplicates), JetStream's
 *       {@code Nats-Msg-Id} window drops them before the consumer (the test checks none came through);</li>
 *   <li>per key, the consumer processed the messages in commit order;</li>
 *   <li>both databases hold exactly the committed transactions, and the outbox is empty.</li>
 * </ul>
 *
 * <p>{@code -Dquorumtx.messaging.killRounds=N} (default 1) sets how many random-moment kills follow
 * the named ones; {@code -Dquorumtx.messaging.seed=S} replays a run (the seed is in every failure).
 * Needs PostgreSQL, MariaDB and the broker; skipped without them unless {@code QUORUMTX_REQUIRE_DATABASES=1}.
 */
class RelayKillTest {
    private static final int KILL_ROUNDS = Integer.getInteger("quorumtx.messaging.killRounds", 1);
    /** Transactions per round: enough that the first batch of a new relay holds several messages. */
    private static final int PER_ROUND = 12;
    private static final List<String> KEYS = List.of("k0", "k1", "k2", "k3");
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @Test
    void rabbitMqRelaysKilledWhilePublishingLoseNothingInventNothingAndKeepKeyOrder(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        campaign(Broker.RABBITMQ, dir);
    }

    @Test
    void jetStreamRelaysKilledWhilePublishingLoseNothingInventNothingAndKeepKeyOrder(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        campaign(Broker.JETSTREAM, dir);
    }

    private static void campaign(Broker broker, Path dir) throws Exception {
        ExternalDatabases.postgresql();
        ExternalDatabases.mariadb();
        broker.require();
        long seed = Long.getLong("quorumtx.messaging.seed", System.nanoTime());
        Random random = new Random(seed);
        String prefix = Brokers.uniquePrefix();
        String destination = Brokers.destination(broker, prefix);
        List<String> rounds = new ArrayList<>();
        try (ConsumerLedger ledger = new ConsumerLedger(prefix);
                BrokerConsumer consumer = BrokerConsumer.start(broker, prefix, ledger);
                Producer producer = new Producer(dir.resolve("txlog"), prefix, destination)) {
            String context = " (seed " + seed + ", -Dquorumtx.messaging.seed=" + seed + " replays it; rounds: ";
            int confirmedNotDeleted = 0;
            // Named points. The transactions come first, so the new relay's first batch holds several
            // of them and the point is reached in its first batch.
            for (Point point : List.of(Point.AFTER_CONFIRM, Point.MID_BATCH)) {
                produce(producer, random, PER_ROUND);
                try (RelayProcess relay = startRelay(dir, broker, prefix, "relay-1", point, rounds.size())) {
                    String at = relay.awaitLine("AT " + point, DEADLINE);
                    relay.kill();
                    rounds.add(at);
                    if (point == Point.AFTER_CONFIRM) {
                        confirmedNotDeleted = Integer.parseInt(at.split(" ", -1)[2]);
                    }
                }
            }
            // Random moments: the producer keeps committing while the relay publishes, and the relay
            // dies after a random number of new deliveries.
            for (int i = 0; i < KILL_ROUNDS; i++) {
                try (RelayProcess relay = startRelay(dir, broker, prefix, "relay-2", Point.NONE, rounds.size())) {
                    relay.awaitLine("READY", DEADLINE);
                    int before = ledger.deliveries().size();
                    int after = 1 + random.nextInt(PER_ROUND / 2);
                    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> {
                        try {
                            produce(producer, random, PER_ROUND);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    Poll.until(after + " new deliveries before the random kill" + context + rounds + ")", DEADLINE,
                            () -> ledger.deliveries().size() >= before + after);
                    relay.kill();
                    producing.join();
                    rounds.add("SIGKILL after " + after + " deliveries");
                }
            }
            // The last relay drains the outbox.
            try (RelayProcess relay = startRelay(dir, broker, prefix, "relay-1", Point.NONE, rounds.size())) {
                relay.awaitLine("READY", DEADLINE);
                Set<String> committed = ids(producer.sent(), true);
                Poll.until("every committed message processed and the outbox empty" + context + rounds + ")",
                        DEADLINE, () -> {
                            consumer.check();
                            return ledger.processedCount() >= committed.size() && producer.outboxRows() == 0;
                        });
                relay.kill();
            }
            consumer.check();
            verify(broker, producer, ledger, confirmedNotDeleted, context + rounds + ")");
        }
    }

    private static void verify(Broker broker, Producer producer, ConsumerLedger ledger, int confirmedNotDeleted,
            String context) throws Exception {
        List<Sent> sent = producer.sent();
        Set<String> committed = ids(sent, true);
        Set<String> rolledBack = ids(sent, false);
        assertThat(rolledBack).as("the campaign rolled some transactions back" + context).isNotEmpty();

        Set<Integer> committedTx = sent.stream().filter(Sent::committed).map(Sent::txNo).collect(Collectors.toSet());
        assertThat(producer.committedInBothDatabases()).as("both databases hold exactly the committed transactions"
                + context).isEqualTo(committedTx);

        List<Delivery> deliveries = ledger.deliveries();
        Set<String> delivered = deliveries.stream().map(Delivery::messageId).collect(Collectors.toSet());
        assertThat(delivered).as("every committed message arrived at least once, and nothing else" + context)
                .isEqualTo(committed);
        assertThat(deliveries).as("no message of a rolled-back transaction ever arrived" + context)
                .allSatisfy(d -> assertThat(d.fromCommit()).isTrue())
                .noneMatch(d -> rolledBack.contains(d.messageId()));

        List<Delivery> processed = ledger.processed();
        Map<String, Integer> timesProcessed = new HashMap<>();
        processed.forEach(d -> timesProcessed.merge(d.messageId(), 1, Integer::sum));
        assertThat(timesProcessed.keySet()).as("processed: every committed message" + context).isEqualTo(committed);
        assertThat(timesProcessed.values()).as("each message processed exactly once in the consumer's database"
                + context).containsOnly(1);

        ledger.processedOrderByKey().forEach((key, txs) -> assertThat(txs)
                .as("key " + key + " processed in commit order" + context).isSorted().doesNotHaveDuplicates());

        int duplicates = deliveries.size() - delivered.size();
        if (broker == Broker.RABBITMQ) {
            // The batch confirmed but not deleted was published again: the inbox, not luck, made it once.
            assertThat(duplicates).as("RabbitMQ delivered the re-published batch again (" + confirmedNotDeleted
                    + " messages confirmed before the kill, not deleted)" + context)
                    .isGreaterThanOrEqualTo(confirmedNotDeleted);
        } else {
            // Re-published under the same Nats-Msg-Id within the window: JetStream drops them itself.
            assertThat(duplicates).as("JetStream de-duplicated the re-published messages" + context).isZero();
        }
    }

    private static void produce(Producer producer, Random random, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            producer.transfer(KEYS.get(random.nextInt(KEYS.size())), random.nextInt(4) != 0);
        }
    }

    private static RelayProcess startRelay(Path dir, Broker broker, String prefix, String relayId, Point point,
            int round) throws Exception {
        return RelayProcess.start(dir, "relay-" + round, List.of("broker=" + broker, "port=" + broker.port(),
                "table=" + Producer.outboxTable(prefix), "relay=" + relayId, "crash=" + point, "hit=1"));
    }

    private static Set<String> ids(List<Sent> sent, boolean committed) {
        Set<String> out = new HashSet<>();
        for (Sent s : sent) {
            if (s.committed() == committed) {
                out.add(s.messageId());
            }
        }
        return out;
    }
}
