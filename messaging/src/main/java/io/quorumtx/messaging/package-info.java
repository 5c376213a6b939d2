/**
 * Messages in the same transaction (the transactional outbox): {@link io.quorumtx.messaging.Outbox}
 * writes a message into a table of one of the transaction's databases, so it commits exactly when
 * the databases do; {@link io.quorumtx.messaging.OutboxRelay} publishes committed messages through a
 * {@link io.quorumtx.messaging.MessagePublisher} (RabbitMQ in {@code rabbitmq}, NATS JetStream in
 * {@code nats}) and removes them once the broker confirmed; {@link io.quorumtx.messaging.Inbox} makes
 * a consumer's handler take effect once per message id. Delivery is at-least-once, in commit order
 * per key; with the Inbox or JetStream's de-duplication the effect is exactly once.
 */
package io.quorumtx.messaging;
