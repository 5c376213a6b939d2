package io.quorumtx.messaging.nats;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.quorumtx.messaging.MessageId;
import io.quorumtx.messaging.MessagePublisher;
import io.quorumtx.messaging.OutboxMessage;
import io.quorumtx.messaging.PublishException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes outbox messages to NATS JetStream and returns once every message's publish
 * acknowledgement ({@code PublishAck}: stored in a stream) has arrived.
 *
 * <p><b>Destination</b> = the subject; a stream must capture it. <b>De-duplication</b>: each
 * message is published with {@code Nats-Msg-Id} = its outbox id, so the stream stores a message the
 * relay publishes again (after a crash between the ack and the outbox delete) only once, as long as
 * the re-publication falls within the stream's duplicate window (default 2 minutes: keep the
 * relay's lease well below it). An ack that says "duplicate" counts as success. Headers: the
 * application's, plus {@value OutboxMessage#KEY_HEADER} and {@value OutboxMessage#KEY_SEQ_HEADER}.
 *
 * <p><b>Failures</b>: no stream captures the subject (the server answers "no responders"), or the
 * stream refuses the message (a JetStream API error: too large, sealed, …) → refused (the relay
 * counts attempts and parks it as dead after its limit); an ack not back within
 * {@link Builder#ackTimeout} (the server unreachable: the client reconnects by itself) →
 * transient, retried after a back-off.
 *
 * <p><b>Stuck connection</b>: jnats 2.25.1 can come back from a reconnect (the server or the link
 * to it lost and regained) with its status {@code CONNECTED} but its writer thread no longer
 * sending anything (a race between the reconnect thread and the writer's reconnect mode, cf.
 * nats-io/nats.java#1522): every publish then times out, forever. So when acks are missing while
 * the connection says {@code CONNECTED}, the publisher sends a PING ({@code flush}) and waits half
 * the ack timeout for the PONG; none → it forces a reconnect, which gives the connection a new
 * writer. The batch still fails (its messages stay in the outbox); the next one goes through.
 *
 * <p>Used by one relay thread at a time.
 */
public final class JetStreamPublisher implements MessagePublisher {
    private static final Logger LOG = LoggerFactory.getLogger(JetStreamPublisher.class);
    private final Connection connection;
    private final boolean ownsConnection;
    private final JetStream jetStream;
    private final Duration ackTimeout;

    private JetStreamPublisher(Connection connection, boolean ownsConnection, Duration ackTimeout) throws IOException {
        this.connection = connection;
        this.ownsConnection = ownsConnection;
        this.jetStream = connection.jetStream();
        this.ackTimeout = ackTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void publish(List<OutboxMessage> batch) throws PublishException {
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>(batch.size());
        Set<MessageId> confirmed = new HashSet<>();
        Map<MessageId, String> refused = new HashMap<>();
        Exception firstTransient = null;
        int unconfirmed = 0;
        for (OutboxMessage m : batch) {
            Headers headers = new Headers();
            m.headers().forEach(headers::put);
            headers.put(OutboxMessage.KEY_HEADER, m.key());
            headers.put(OutboxMessage.KEY_SEQ_HEADER, Long.toString(m.keySeq()));
            PublishOptions options = PublishOptions.builder().messageId(m.id().value()).build();
            acks.add(jetStream.publishAsync(m.destination(), headers, m.payload(), options));
        }
        long deadline = System.nanoTime() + ackTimeout.toNanos();
        for (int i = 0; i < batch.size(); i++) {
            OutboxMessage m = batch.get(i);
            try {
                acks.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                confirmed.add(m.id()); // a duplicate ack means the stream has it already: success too
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (isRefusal(cause)) {
                    refused.put(m.id(), "JetStream refused subject '" + m.destination() + "': " + cause.getMessage());
                } else {
                    unconfirmed++;
                    firstTransient = firstTransient == null ? e : firstTransient;
                }
            } catch (TimeoutException e) {
                unconfirmed++;
                firstTransient = firstTransient == null ? e : firstTransient;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PublishException("interrupted while waiting for JetStream's acks", confirmed, refused, e);
            }
        }
        String resync = unconfirmed > 0 ? resynchroniseIfStuck() : "";
        if (!refused.isEmpty() || unconfirmed > 0) {
            throw new PublishException(refused.size() + " message(s) refused and " + unconfirmed
                    + " not acknowledged within " + ackTimeout.toMillis() + " ms by JetStream (connection "
                    + connection.getStatus() + ")" + resync + (refused.isEmpty() ? "" : "; first refusal: "
                    + refused.values().iterator().next()), confirmed, refused, firstTransient);
        }
    }

    /**
     * Acks are missing: if the connection says it is connected, checks that it can still do a round
     * trip (PING/PONG within half the ack timeout) and forces a reconnect when it cannot.
     *
     * @return what was done, for the failure's message ("" when the connection is not connected or answered)
     */
    private String resynchroniseIfStuck() {
        if (connection.getStatus() != Connection.Status.CONNECTED) {
            return ""; // reconnecting by itself
        }
        Duration probe = ackTimeout.dividedBy(2);
        try {
            connection.flush(probe);
            return ""; // it answers: the server is slow, or the acks were lost with an earlier connection
        } catch (TimeoutException e) {
            LOG.warn("NATS connection says {} but sends nothing (no PONG within {} ms): forcing a reconnect",
                    connection.getStatus(), probe.toMillis());
            try {
                connection.forceReconnect();
                return "; no PONG within " + probe.toMillis() + " ms either: reconnect forced";
            } catch (IOException ex) {
                return "; no PONG within " + probe.toMillis() + " ms either, forced reconnect failed: " + ex;
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return "; no PONG within " + probe.toMillis() + " ms either, interrupted while reconnecting";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (IllegalStateException e) {
            return ""; // closed or disconnected meanwhile: the client reconnects by itself
        }
    }

    /** "No responders" (no stream captures the subject) and JetStream API errors are answers, not outages. */
    private static boolean isRefusal(Throwable cause) {
        if (cause instanceof JetStreamApiException) {
            return true;
        }
        String message = String.valueOf(cause == null ? null : cause.getMessage()).toLowerCase(Locale.ROOT);
        return message.contains("503") || message.contains("no responders");
    }

    /** Closes the connection if this publisher opened it. */
    @Override
    public void close() {
        if (ownsConnection) {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Settings, validated at {@link #build()}. */
    public static final class Builder {
        private Connection connection;
        private String url;
        private Duration ackTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        /** Publish on this connection (the caller closes it). */
        public Builder connection(Connection connection) {
            this.connection = connection;
            return this;
        }

        /** Open a connection to this server (e.g. {@code nats://127.0.0.1:4222}), reconnecting forever. */
        public Builder url(String url) {
            this.url = url;
            return this;
        }

        /** How long one batch waits for its acks (default 10 s); keep it below a third of the relay's lease. */
        public Builder ackTimeout(Duration ackTimeout) {
            this.ackTimeout = ackTimeout;
            return this;
        }

        /**
         * Validates the settings and builds the publisher (opening its connection when given a URL).
         *
         * @throws IllegalArgumentException if neither or both of connection and url are set
         * @throws IOException if the connection to {@code url} cannot be opened
         */
        public JetStreamPublisher build() throws IOException {
            if ((connection == null) == (url == null)) {
                throw new IllegalArgumentException("set exactly one of connection(...) and url(...)");
            }
            if (ackTimeout == null || ackTimeout.isNegative() || ackTimeout.isZero()) {
                throw new IllegalArgumentException("ackTimeout must be positive, was " + ackTimeout);
            }
            if (connection != null) {
                return new JetStreamPublisher(connection, false, ackTimeout);
            }
            Options options = new Options.Builder().server(Objects.requireNonNull(url))
                    .connectionName("quorumtx-outbox-relay").maxReconnects(-1)
                    .reconnectWait(Duration.ofMillis(250)).connectionTimeout(Duration.ofSeconds(5)).build();
            try {
                return new JetStreamPublisher(Nats.connect(options), true, ackTimeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while connecting to NATS", e);
            }
        }
    }
}
