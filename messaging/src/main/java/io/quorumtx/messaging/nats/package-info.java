/** NATS JetStream publisher for the outbox relay: publish acknowledgements, Nats-Msg-Id de-duplication. */
package io.quorumtx.messaging.nats;
