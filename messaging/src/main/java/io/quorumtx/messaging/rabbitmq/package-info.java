/** RabbitMQ publisher for the outbox relay: publisher confirms, mandatory routing, persistent messages. */
package io.quorumtx.messaging.rabbitmq;
