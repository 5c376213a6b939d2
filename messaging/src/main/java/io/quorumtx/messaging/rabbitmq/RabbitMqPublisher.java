package io.quorumtx.messaging.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Return;
import io.quorumtx.messaging.MessageId;
import io.quorumtx.messaging.MessagePublisher;
import io.quorumtx.messaging.OutboxMessage;
import io.quorumtx.messaging.PublishException;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes outbox messages to RabbitMQ with publisher confirms, so {@link #publish} returns only
 * once the broker has taken responsibility for every message (written persistent messages to its
 * queues).
 *
 * <h2>Destination mapping</h2>
 * An outbox destination {@code "exchange/routingKey"} is published to that exchange with that
 * routing key (split at the first {@code /}: exchange names cannot contain one, routing keys may);
 * {@code "/queue"} goes through the default exchange straight to the queue of that name. A
 * destination without {@code /} is a routing key on the builder's {@link Builder#exchange} (default:
 * the default exchange {@code ""}).
 *
 * <h2>What each message carries</h2>
 * {@code BasicProperties.messageId} = the outbox message id (the consumer's {@code Inbox} key);
 * headers: the application's headers plus {@value OutboxMessage#KEY_HEADER} (the key) and
 * {@value OutboxMessage#KEY_SEQ_HEADER} (its sequence number); delivery mode 2 (persistent);
 * timestamp = when it was sent into the outbox.
 *
 * <h2>Failures</h2>
 * Every message is published {@code mandatory}: a message no queue is bound for comes back
 * ({@code basic.return}, before its confirm), and is reported as refused — an error, not a silent
 * loss; the relay retries it and parks it as dead after its attempts. A nack, a confirm timeout or
 * a lost connection is transient: the channel (and, if broken, the connection) is dropped and made
 * anew at the next batch.
 *
 * <p>Used by one relay thread at a time. The password is never logged or put in a message.
 */
public final class RabbitMqPublisher implements MessagePublisher {
    private final ConnectionFactory factory;
    /** The caller's connection (kept open at close), or null when this publisher opens its own. */
    private final Connection given;
    private final String exchange;
    private final Duration confirmTimeout;
    private Connection connection;
    private Channel channel;
    private Batch current;

    private RabbitMqPublisher(Builder b) {
        this.factory = b.factory;
        this.given = b.connection;
        this.exchange = b.exchange;
        this.confirmTimeout = b.confirmTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The confirms and returns of one batch, filled in by the connection's thread. */
    private static final class Batch {
        final ConcurrentNavigableMap<Long, MessageId> unconfirmed = new ConcurrentSkipListMap<>();
        final Set<MessageId> confirmed = ConcurrentHashMap.newKeySet();
        final Set<MessageId> nacked = ConcurrentHashMap.newKeySet();
        final Map<MessageId, String> returned = new ConcurrentHashMap<>();

        synchronized void settle(long tag, boolean multiple, boolean ack) {
            Map<Long, MessageId> done = multiple ? unconfirmed.headMap(tag, true) : unconfirmed.subMap(tag, true, tag, true);
            for (MessageId id : done.values()) {
                (ack ? confirmed : nacked).add(id);
            }
            done.clear();
            notifyAll();
        }

        synchronized boolean await(long deadlineNanos) throws InterruptedException {
            while (!unconfirmed.isEmpty()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }

        synchronized void abort() {
            notifyAll();
        }
    }

    @Override
    public void publish(List<OutboxMessage> batch) throws PublishException {
        if (batch.isEmpty()) {
            return;
        }
        Batch b = new Batch();
        try {
            Channel ch = channel();
            current = b;
            for (OutboxMessage m : batch) {
                Target t = target(m.destination());
                b.unconfirmed.put(ch.getNextPublishSeqNo(), m.id());
                ch.basicPublish(t.exchange, t.routingKey, true, properties(m), m.payload());
            }
            if (!b.await(System.nanoTime() + confirmTimeout.toNanos())) {
                dropChannel();
                throw new PublishException("RabbitMQ did not confirm " + b.unconfirmed.size() + " of " + batch.size()
                        + " messages within " + confirmTimeout.toMillis() + " ms", confirmedOnly(b), Map.of(), null);
            }
        } catch (IOException | RuntimeException | TimeoutException e) {
            dropChannel();
            throw new PublishException("RabbitMQ publish failed: " + e.getMessage(), confirmedOnly(b), Map.of(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dropChannel();
            throw new PublishException("interrupted while waiting for RabbitMQ's confirms", confirmedOnly(b), Map.of(), e);
        } finally {
            current = null;
        }
        if (!b.returned.isEmpty() || !b.nacked.isEmpty()) {
            Map<MessageId, String> refused = new HashMap<>(b.returned);
            throw new PublishException(b.returned.size() + " message(s) unroutable and " + b.nacked.size()
                    + " nacked by RabbitMQ (first: " + b.returned.values().stream().findFirst().orElse("nack") + ")",
                    confirmedOnly(b), refused, null);
        }
    }

    /** Confirmed and not returned: what the broker has in a queue. */
    private static Set<MessageId> confirmedOnly(Batch b) {
        Set<MessageId> ok = new HashSet<>(b.confirmed);
        ok.removeAll(b.returned.keySet());
        return ok;
    }

    private record Target(String exchange, String routingKey) {
    }

    private Target target(String destination) {
        int slash = destination.indexOf('/');
        return slash < 0 ? new Target(exchange, destination)
                : new Target(destination.substring(0, slash), destination.substring(slash + 1));
    }

    private static AMQP.BasicProperties properties(OutboxMessage m) {
        Map<String, Object> headers = new HashMap<>(m.headers());
        headers.put(OutboxMessage.KEY_HEADER, m.key());
        headers.put(OutboxMessage.KEY_SEQ_HEADER, m.keySeq());
        return new AMQP.BasicProperties.Builder()
                .messageId(m.id().value())
                .deliveryMode(2)
                .headers(headers)
                .timestamp(java.util.Date.from(m.createdAt()))
                .build();
    }

    private Channel channel() throws IOException, TimeoutException {
        if (channel != null && channel.isOpen()) {
            return channel;
        }
        if (given != null) {
            connection = given;
        } else if (connection == null || !connection.isOpen()) {
            closeQuietly(connection);
            connection = factory.newConnection("quorumtx-outbox-relay");
        }
        Channel ch = connection.createChannel();
        ch.confirmSelect();
        ch.addConfirmListener(new ConfirmListener() {
            @Override
            public void handleAck(long tag, boolean multiple) {
                Batch b = current;
                if (b != null) {
                    b.settle(tag, multiple, true);
                }
            }

            @Override
            public void handleNack(long tag, boolean multiple) {
                Batch b = current;
                if (b != null) {
                    b.settle(tag, multiple, false);
                }
            }
        });
        ch.addReturnListener((Return r) -> {
            Batch b = current;
            String id = r.getProperties().getMessageId();
            if (b != null && id != null) {
                b.returned.put(new MessageId(id), "unroutable: " + r.getReplyCode() + " " + r.getReplyText()
                        + " (exchange '" + r.getExchange() + "', routing key '" + r.getRoutingKey() + "')");
            }
        });
        ch.addShutdownListener(cause -> {
            Batch b = current;
            if (b != null) {
                b.abort();
            }
        });
        channel = ch;
        return ch;
    }

    private void dropChannel() {
        Channel ch = channel;
        channel = null;
        if (ch != null) {
            try {
                ch.abort();
            } catch (IOException | RuntimeException e) {
                // already broken: nothing to release
            }
        }
        if (given == null && connection != null && !connection.isOpen()) {
            closeQuietly(connection);
            connection = null;
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            c.abort(1000);
        }
    }

    /** Closes the channel, and the connection if this publisher opened it. */
    @Override
    public void close() {
        dropChannel();
        if (given == null && connection != null) {
            closeQuietly(connection);
            connection = null;
        }
    }

    /** Settings, validated at {@link #build()}. */
    public static final class Builder {
        private ConnectionFactory factory;
        private Connection connection;
        private String host = "127.0.0.1";
        private int port = 5672;
        private String user = "guest";
        private String password = "guest";
        private String virtualHost = "/";
        private String exchange = "";
        private Duration confirmTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        /** Connections come from this factory (its settings, its credentials); host/port/user/password are ignored. */
        public Builder connectionFactory(ConnectionFactory factory) {
            this.factory = factory;
            return this;
        }

        /** Publish on this open connection (the caller closes it); channels are made on it. */
        public Builder connection(Connection connection) {
            this.connection = connection;
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder user(String user) {
            this.user = user;
            return this;
        }

        /** The password; kept out of every message and log. */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        public Builder virtualHost(String virtualHost) {
            this.virtualHost = virtualHost;
            return this;
        }

        /** The exchange of destinations without {@code /} (default {@code ""}, the default exchange). */
        public Builder exchange(String exchange) {
            this.exchange = exchange;
            return this;
        }

        /** How long one batch waits for its confirms (default 10 s); keep it below a third of the relay's lease. */
        public Builder confirmTimeout(Duration confirmTimeout) {
            this.confirmTimeout = confirmTimeout;
            return this;
        }

        public RabbitMqPublisher build() {
            Objects.requireNonNull(exchange, "exchange must not be null (\"\" is the default exchange)");
            if (confirmTimeout == null || confirmTimeout.isNegative() || confirmTimeout.isZero()) {
                throw new IllegalArgumentException("confirmTimeout must be positive, was " + confirmTimeout);
            }
            if (connection == null && factory == null) {
                if (host == null || host.isEmpty()) {
                    throw new IllegalArgumentException("host must be set (or a connectionFactory or connection)");
                }
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("port must be 1 to 65535, was " + port);
                }
                Objects.requireNonNull(user, "user must not be null");
                Objects.requireNonNull(password, "password must not be null");
                ConnectionFactory f = new ConnectionFactory();
                f.setHost(host);
                f.setPort(port);
                f.setUsername(user);
                f.setPassword(password);
                f.setVirtualHost(virtualHost);
                f.setConnectionTimeout(5000);
                // The publisher makes a new connection itself at the next batch; the client's own recovery
                // would replay nothing we need and keep a broken channel looking alive meanwhile.
                f.setAutomaticRecoveryEnabled(false);
                factory = f;
            }
            return new RabbitMqPublisher(this);
        }
    }
}
