package io.quorumtx.messaging;

import static io.quorumtx.messaging.OutboxTransactionTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.quorumtx.messaging.rabbitmq.RabbitMqPublisher;
import io.quorumtx.testsupport.Poll;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay against a real RabbitMQ: a temporary exchange and queue per test, deleted after. */
class RabbitMqRelayTest {
    @TempDir
    Path dir;
    private Connection admin;
    private Channel channel;
    private String exchange;
    private String queue;

    @BeforeEach
    void declare() throws Exception {
        Brokers.rabbitMq();
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(Brokers.HOST);
        factory.setPort(Brokers.RABBITMQ_PORT);
        admin = factory.newConnection("qtx-test-admin");
        channel = admin.createChannel();
        exchange = "qtx-test-" + java.util.UUID.randomUUID();
        channel.exchangeDeclare(exchange, "direct", false, false, null);
        queue = channel.queueDeclare("", false, true, false, null).getQueue();
        channel.queueBind(queue, exchange, "orders");
    }

    @AfterEach
    void delete() throws Exception {
        if (channel != null) {
            channel.queueDelete(queue);
            channel.exchangeDelete(exchange);
            admin.close();
        }
    }

    private RabbitMqPublisher.Builder publisher(int port) {
        return RabbitMqPublisher.builder().host(Brokers.HOST).port(port).user("guest").password("guest")
                .confirmTimeout(Duration.ofSeconds(1));
    }

    @Test
    void aConsumerWithTheInboxProcessesEachMessageOnceAlthoughTheRelayPublishedItTwice() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.POSTGRESQL)) {
            OutboxRelay relay = f.closeAtEnd(f.relay(new FlakyAfterConfirm(publisher(Brokers.RABBITMQ_PORT).build(), 1))
                    .build());
            f.tm.begin();
            f.transfer("t-1", 10);
            for (int i = 0; i < 9; i++) {
                f.outbox.send(exchange + "/orders", "order-" + (i % 3), bytes("m" + i), Map.of("n", "" + i));
            }
            f.tm.commit();
            assertThat(relay.relayOnce()).as("confirmed, then the relay 'died' before deleting").isZero();
            assertThat(relay.pending()).isEqualTo(9);
            assertThat(relay.relayOnce()).as("published again").isEqualTo(9);

            Inbox inbox = f.inbox();
            Fixture.execute(f.sidePlain, "CREATE TABLE effects_" + f.suffix + " (message_id VARCHAR(100), msg_key VARCHAR(50), seq BIGINT)");
            Map<String, List<Long>> firstSeqs = new LinkedHashMap<>();
            int deliveries = 0;
            int effects = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (deliveries < 18 && System.nanoTime() < deadline) {
                GetResponse r = channel.basicGet(queue, false);
                if (r == null) {
                    Thread.sleep(10);
                    continue;
                }
                deliveries++;
                String id = r.getProps().getMessageId();
                String key = r.getProps().getHeaders().get(OutboxMessage.KEY_HEADER).toString();
                long seq = ((Number) r.getProps().getHeaders().get(OutboxMessage.KEY_SEQ_HEADER)).longValue();
                try (java.sql.Connection c = f.sidePlain.getConnection()) {
                    c.setAutoCommit(false);
                    boolean done = inbox.processOnce(c, id, conn -> {
                        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO effects_" + f.suffix + " VALUES (?, ?, ?)")) {
                            ps.setString(1, id);
                            ps.setString(2, key);
                            ps.setLong(3, seq);
                            ps.executeUpdate();
                        }
                        return true;
                    }).isPresent();
                    c.commit();
                    if (done) {
                        effects++;
                        firstSeqs.computeIfAbsent(key, k -> new ArrayList<>()).add(seq);
                    }
                }
                channel.basicAck(r.getEnvelope().getDeliveryTag(), false);
            }
            assertThat(deliveries).as("every message arrived twice (at-least-once)").isEqualTo(18);
            assertThat(effects).as("processed once each").isEqualTo(9);
            assertThat(f.count(f.sidePlain, "effects_" + f.suffix)).isEqualTo(9);
            assertThat(firstSeqs).hasSize(3).allSatisfy((k, seqs) -> assertThat(seqs).containsExactly(1L, 2L, 3L));
            Fixture.execute(f.sidePlain, "DROP TABLE effects_" + f.suffix);
        }
    }

    @Test
    void duringABrokerOutageMessagesWaitInTheOutboxAndFlowWhenItIsBack() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.H2); TcpProxy proxy = new TcpProxy(Brokers.RABBITMQ_PORT)) {
            OutboxRelay relay = f.closeAtEnd(f.relay(publisher(proxy.port()).build()).build());
            proxy.cut();
            relay.start();
            f.tm.begin();
            for (int i = 0; i < 5; i++) {
                f.outbox.send(exchange + "/orders", "k", bytes("m" + i), Map.of());
            }
            f.tm.commit();
            Poll.until("failed passes while the broker is unreachable", Duration.ofSeconds(20),
                    () -> relay.consecutiveFailures() >= 3);
            assertThat(relay.pending()).isEqualTo(5);
            assertThat(channel.messageCount(queue)).isZero();
            proxy.restore();
            Poll.until("all delivered after the outage", Duration.ofSeconds(30),
                    () -> relay.pending() == 0 && channel.messageCount(queue) == 5);
            List<Long> seqs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                GetResponse r = channel.basicGet(queue, true);
                seqs.add(((Number) r.getProps().getHeaders().get(OutboxMessage.KEY_SEQ_HEADER)).longValue());
            }
            assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(relay.deadCount()).isZero();
        }
    }

    @Test
    void anUnroutableMessageIsAnErrorParkedAsDeadAfterItsAttemptsAndItsKeyMovesOn() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.MARIADB)) {
            OutboxRelay relay = f.closeAtEnd(f.relay(publisher(Brokers.RABBITMQ_PORT).build()).maxAttempts(2).build());
            f.tm.begin();
            MessageId lost = f.outbox.send(exchange + "/nowhere", "k", bytes("unroutable"), Map.of());
            f.tm.commit();
            assertThat(relay.relayOnce()).isZero();
            assertThat(relay.pending()).as("refused once: still waiting").isEqualTo(1);
            assertThat(relay.relayOnce()).isZero();
            assertThat(relay.pending()).isZero();
            assertThat(relay.deadCount()).isEqualTo(1);
            try (java.sql.Connection c = f.plain.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, attempts, last_error FROM " + f.table + "_dead")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(lost.value());
                assertThat(rs.getInt(2)).isEqualTo(2);
                assertThat(rs.getString(3)).contains("unroutable").contains("NO_ROUTE");
            }
            f.tm.begin();
            f.outbox.send(exchange + "/orders", "k", bytes("next"), Map.of());
            f.tm.commit();
            assertThat(relay.relayOnce()).isEqualTo(1);
            Poll.until("the key's next message arrived", Duration.ofSeconds(10), () -> channel.messageCount(queue) == 1);
        }
    }
}
