package io.quorumtx.it.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

import io.quorumtx.it.faults.LinkFault;
import io.quorumtx.it.faults.LinkProxy;
import io.quorumtx.it.messaging.Producer.Sent;
import io.quorumtx.messaging.OutboxRelay;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.ExternalDatabases.Server;
import io.quorumtx.testsupport.Poll;

/**
 * "The broker stopped for a while" (issue 17), without stopping the shared broker: the relay
 * reaches it through a TCP proxy in this JVM, and the proxy resets every connection and refuses new
 * ones for the outage. Transactions committed meanwhile keep their messages in the outbox — the
 * relay keeps failing and retrying, nothing reaches the consumer and nothing is lost — and when the
 * proxy lets connections through again, the relay's publisher reconnects and the messages flow, each
 * processed once, in key order.
 */
class BrokerOutageTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final List<String> KEYS = List.of("k0", "k1", "k2");

    @Test
    void rabbitMqOutageKeepsMessagesInTheOutboxUntilTheBrokerIsBack(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        outage(Broker.RABBITMQ, dir);
    }

    @Test
    void jetStreamOutageKeepsMessagesInTheOutboxUntilTheBrokerIsBack(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        outage(Broker.JETSTREAM, dir);
    }

    private static void outage(Broker broker, Path dir) throws Exception {
        ExternalDatabases.postgresql();
        ExternalDatabases.mariadb();
        broker.require();
        String prefix = Brokers.uniquePrefix();
        Random random = new Random();
        PGSimpleDataSource plain = new PGSimpleDataSource();
        plain.setUrl(Server.POSTGRESQL.url(ExternalDatabases.DATABASE_A));
        plain.setUser(ExternalDatabases.appUser().user());
        plain.setPassword(ExternalDatabases.appUser().password());
        try (LinkProxy proxy = new LinkProxy("relay>" + broker, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), broker.port()));
                ConsumerLedger ledger = new ConsumerLedger(prefix);
                BrokerConsumer consumer = BrokerConsumer.start(broker, prefix, ledger);
                Producer producer = new Producer(dir.resolve("txlog"), prefix, Brokers.destination(broker, prefix));
                OutboxRelay relay = OutboxRelay.builder(plain, Brokers.publisher(broker, proxy.port()))
                        .table(Producer.outboxTable(prefix)).lease(Brokers.LEASE)
                        .pollInterval(Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(500)).build()) {
            relay.start();
            for (int i = 0; i < 5; i++) {
                producer.transfer(KEYS.get(random.nextInt(KEYS.size())), true);
            }
            Poll.until("the first messages processed before the outage", DEADLINE, () -> {
                consumer.check();
                return ledger.processedCount() == 5;
            });

            proxy.set(LinkFault.CLOSE);
            int committedDuringOutage = 0;
            for (int i = 0; i < 10; i++) {
                Sent s = producer.transfer(KEYS.get(random.nextInt(KEYS.size())), i % 4 != 3);
                committedDuringOutage += s.committed() ? 1 : 0;
            }
            // The relay has tried and failed (more than once): the messages are not waiting for a first try.
            Poll.until("the relay to fail three publications in a row against the cut link", DEADLINE,
                    () -> relay.consecutiveFailures() >= 3);
            assertThat(producer.outboxRows()).as("the messages committed during the outage wait in the outbox")
                    .isEqualTo(committedDuringOutage);
            assertThat(ledger.processedCount()).as("nothing reached the consumer during the outage").isEqualTo(5);

            proxy.set(LinkFault.NONE);
            int total = 5 + committedDuringOutage;
            Poll.until("the waiting messages to flow once the broker is reachable again", DEADLINE, () -> {
                consumer.check();
                return ledger.processedCount() >= total && producer.outboxRows() == 0;
            });
            consumer.check();
            Map<String, Integer> times = new HashMap<>();
            ledger.processed().forEach(d -> times.merge(d.messageId(), 1, Integer::sum));
            assertThat(times.keySet()).as("every committed message, none rolled back")
                    .containsExactlyInAnyOrderElementsOf(producer.sent().stream().filter(Sent::committed)
                            .map(Sent::messageId).toList());
            assertThat(times.values()).as("each processed once").containsOnly(1);
            ledger.processedOrderByKey().forEach((key, txs) -> assertThat(txs)
                    .as("key " + key + " in commit order").isSorted());
        }
    }
}
