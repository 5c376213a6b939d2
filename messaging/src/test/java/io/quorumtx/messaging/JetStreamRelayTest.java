package io.quorumtx.messaging;

import static io.quorumtx.messaging.OutboxTransactionTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.quorumtx.messaging.nats.JetStreamPublisher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay against a real NATS JetStream: a unique stream per test, deleted after. */
class JetStreamRelayTest {
    @TempDir
    Path dir;
    private Connection nats;
    private JetStreamManagement jsm;
    private String stream;
    private String subject;

    @BeforeEach
    void createStream() throws Exception {
        Brokers.nats();
        nats = Nats.connect(Brokers.natsUrl());
        jsm = nats.jetStreamManagement();
        String suffix = java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        stream = "QTX_TEST_" + suffix;
        subject = "qtx.test." + suffix;
        jsm.addStream(StreamConfiguration.builder().name(stream).subjects(subject + ".>")
                .storageType(StorageType.Memory).duplicateWindow(Duration.ofMinutes(2)).build());
    }

    @AfterEach
    void deleteStream() throws Exception {
        if (nats != null) {
            jsm.deleteStream(stream);
            nats.close();
        }
    }

    @Test
    void aMessagePublishedAgainAfterARelayDiedIsStoredOnceThanksToNatsMsgId() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.H2)) {
            JetStreamPublisher publisher = JetStreamPublisher.builder().connection(nats).ackTimeout(Duration.ofSeconds(2)).build();
            OutboxRelay relay = f.closeAtEnd(f.relay(new FlakyAfterConfirm(publisher, 1)).build());
            List<MessageId> sent = new ArrayList<>();
            f.tm.begin();
            for (int i = 0; i < 8; i++) {
                sent.add(f.outbox.send(subject + ".orders", "order-" + (i % 2), bytes("m" + i), Map.of("n", "" + i)));
            }
            f.tm.commit();
            assertThat(relay.relayOnce()).as("acknowledged, then the relay 'died' before deleting").isZero();
            assertThat(relay.relayOnce()).as("published again: duplicate acks count as success").isEqualTo(8);
            assertThat(jsm.getStreamInfo(stream).getStreamState().getMsgCount()).as("stored once each").isEqualTo(8);
            Set<String> ids = new HashSet<>();
            List<String> keySeqsOfOrder0 = new ArrayList<>();
            for (long seq = 1; seq <= 8; seq++) {
                MessageInfo m = jsm.getMessage(stream, seq);
                ids.add(m.getHeaders().getFirst("Nats-Msg-Id"));
                if ("order-0".equals(m.getHeaders().getFirst(OutboxMessage.KEY_HEADER))) {
                    keySeqsOfOrder0.add(m.getHeaders().getFirst(OutboxMessage.KEY_SEQ_HEADER));
                }
            }
            assertThat(ids).containsExactlyInAnyOrderElementsOf(sent.stream().map(MessageId::value).toList());
            assertThat(keySeqsOfOrder0).containsExactly("1", "2", "3", "4");
        }
    }

    @Test
    void aSubjectNoStreamCapturesIsRefusedAndParkedAsDead() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.H2)) {
            JetStreamPublisher publisher = JetStreamPublisher.builder().connection(nats).ackTimeout(Duration.ofSeconds(2)).build();
            OutboxRelay relay = f.closeAtEnd(f.relay(publisher).maxAttempts(1).build());
            f.tm.begin();
            f.outbox.send("qtx.nostream." + stream, "k", bytes("x"), Map.of());
            f.tm.commit();
            assertThat(relay.relayOnce()).isZero();
            assertThat(relay.deadCount()).isEqualTo(1);
            assertThat(relay.pending()).isZero();
        }
    }
}
