package io.quorumtx.messaging;

import static io.quorumtx.messaging.OutboxTransactionTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.quorumtx.messaging.nats.JetStreamPublisher;
import io.quorumtx.testsupport.Poll;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A NATS connection that says {@code CONNECTED} but no longer delivers what the client sends: what
 * jnats 2.25.1 can be left with after a reconnect (its writer stuck, nats-io/nats.java#1522; seen in
 * BrokerOutageTest), here made deterministic with a proxy that goes deaf to the client's bytes
 * while keeping the TCP connection open. The client's own stale-connection check would need
 * pingInterval × maxPingsOut (4 minutes by default); the publisher must see it from its missing
 * acks, force a reconnect and publish the messages.
 */
class JetStreamStuckConnectionTest {
    @TempDir
    Path dir;

    @Test
    void aConnectedButDeafConnectionIsReconnectedAndTheMessagesPublished() throws Exception {
        Brokers.nats();
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String stream = "QTX_STUCK_" + suffix;
        String subject = "qtx.stuck." + suffix;
        Connection admin = Nats.connect(Brokers.natsUrl());
        try {
            JetStreamManagement jsm = admin.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(stream).subjects(subject + ".>")
                    .storageType(StorageType.Memory).build());
            Fixture f = new Fixture(dir, Fixture.Db.H2);
            try (DeafeningProxy proxy = new DeafeningProxy(Brokers.NATS_PORT)) {
                JetStreamPublisher publisher = JetStreamPublisher.builder()
                        .url("nats://127.0.0.1:" + proxy.port()).ackTimeout(Duration.ofSeconds(1)).build();
                OutboxRelay relay = f.closeAtEnd(f.relay(publisher).build());
                f.tm.begin();
                f.outbox.send(subject + ".orders", "k", bytes("before"), Map.of());
                f.tm.commit();
                assertThat(relay.relayOnce()).as("published while the link is sound").isEqualTo(1);

                proxy.deafen();
                f.tm.begin();
                for (int i = 0; i < 3; i++) {
                    f.outbox.send(subject + ".orders", "k", bytes("m" + i), Map.of());
                }
                f.tm.commit();
                assertThat(relay.relayOnce()).as("no ack through the deaf connection").isZero();
                Poll.until("the messages published over a new connection", Duration.ofSeconds(20),
                        () -> relay.relayOnce() >= 0 && relay.pending() == 0);
                assertThat(jsm.getStreamInfo(stream).getStreamState().getMsgCount()).isEqualTo(4);
            } finally {
                f.close();
                jsm.deleteStream(stream);
            }
        } finally {
            admin.close();
        }
    }

    /** Forwards both ways; {@link #deafen()} makes the connections open at that time drop what the client sends. */
    private static final class DeafeningProxy implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();
        private final Set<Socket> deaf = ConcurrentHashMap.newKeySet();

        DeafeningProxy(int targetPort) throws IOException {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket client = server.accept();
                        Socket upstream = new Socket();
                        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
                        open.add(client);
                        open.add(upstream);
                        pump(client, upstream);
                        pump(upstream, client);
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            }, "deafening-proxy");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void deafen() {
            deaf.addAll(open);
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[16384];
                try {
                    InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream();
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        if (!deaf.contains(from)) {
                            out.write(buffer, 0, n);
                            out.flush();
                        }
                    }
                } catch (IOException e) {
                    // either side closed: the connection ends
                } finally {
                    close(from);
                    close(to);
                }
            }, "deafening-proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        private void close(Socket s) {
            open.remove(s);
            try {
                s.close();
            } catch (IOException e) {
                // gone either way
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            open.forEach(this::close);
        }
    }
}
