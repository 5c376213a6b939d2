package io.quorumtx.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The sending side: the message commits with the databases or not at all; per-key order is commit order. */
class OutboxTransactionTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Fixture.Db.class)
    void aMessageCommitsWithBothDatabasesOrNotAtAll(Fixture.Db db) throws Exception {
        try (Fixture f = new Fixture(dir, db)) {
            List<RecordingPublisher.Publication> published = RecordingPublisher.sharedLog();
            OutboxRelay relay = f.closeAtEnd(f.relay(new RecordingPublisher("r", published)).build());

            f.tm.begin();
            f.transfer("rolled-back", 5);
            MessageId lost = f.outbox.send("orders/placed", "order-1", bytes("never"), Map.of());
            f.tm.rollback();

            f.tm.begin();
            f.transfer("committed", 7);
            MessageId sent = f.outbox.send("orders/placed", "order-1", bytes("hello"), Map.of("type", "Placed"));
            f.tm.commit();

            assertThat(f.count(f.plain, f.accounts)).as("outbox database rows").isEqualTo(1);
            assertThat(f.count(f.sidePlain, f.accounts)).as("side database rows").isEqualTo(1);
            assertThat(f.count(f.plain, f.table)).as("outbox rows: the committed message only").isEqualTo(1);
            assertThat(relay.relayOnce()).isEqualTo(1);
            assertThat(relay.relayOnce()).as("nothing left").isZero();
            assertThat(published).hasSize(1);
            OutboxMessage m = published.get(0).message();
            assertThat(m.id()).isEqualTo(sent).isNotEqualTo(lost);
            assertThat(m.keySeq()).as("the rolled-back send's number is taken again: no gap").isEqualTo(1);
            assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("hello");
            assertThat(m.headers()).containsEntry("type", "Placed");
            assertThat(m.destination()).isEqualTo("orders/placed");
            assertThat(f.count(f.plain, f.table)).as("deleted after the confirm").isZero();
        }
    }

    @Test
    void sendOutsideATransactionOrWithBadArgumentsIsRefusedWithAClearMessage() throws Exception {
        try (Fixture f = new Fixture(dir, Fixture.Db.H2)) {
            assertThatThrownBy(() -> f.outbox.send("d", "k", bytes("x"), Map.of()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs an active QuorumTX transaction");
            f.tm.begin();
            try {
                assertThatThrownBy(() -> f.outbox.send(null, "k", bytes("x"), Map.of()))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("destination must not be null");
                assertThatThrownBy(() -> f.outbox.send("d", "", bytes("x"), Map.of()))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key must be 1 to 255");
                assertThatThrownBy(() -> f.outbox.send("d", "k", null, Map.of()))
                        .isInstanceOf(NullPointerException.class).hasMessageContaining("payload must not be null");
                assertThatThrownBy(() -> f.outbox.send("d", "k", new byte[Outbox.DEFAULT_MAX_PAYLOAD_BYTES + 1], null))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than the outbox's 1048576");
                f.tm.setRollbackOnly();
                assertThatThrownBy(() -> f.outbox.send("d", "k", bytes("x"), Map.of()))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("marked for rollback");
            } finally {
                f.tm.rollback();
            }
            assertThatCode(f.outbox::createTables).as("idempotent").doesNotThrowAnyException();
            assertThatThrownBy(() -> Outbox.builder(f.plain).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TransactionalDataSource");
            assertThatThrownBy(() -> Outbox.builder(f.enlisted).table("x; DROP TABLE y").build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x; DROP TABLE y' is not allowed");
        }
    }

    /**
     * Senders on the same keys at once, some rolling back: each key's numbers are 1..n without gap
     * or repeat, and a transaction whose commit ended before another's began has the lower number.
     */
    @ParameterizedTest
    @EnumSource(Fixture.Db.class)
    void perKeyNumbersFollowCommitOrderUnderConcurrentSenders(Fixture.Db db) throws Exception {
        record Sent(String key, MessageId id, long commitStart, long commitEnd) {
        }
        int threads = 6;
        int perThread = 12;
        List<String> keys = List.of("k-a", "k-b", "k-c");
        try (Fixture f = new Fixture(dir, db)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<List<Sent>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    List<Sent> mine = new ArrayList<>();
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < perThread; i++) {
                        String key = keys.get(random.nextInt(keys.size()));
                        f.tm.begin();
                        MessageId id = f.outbox.send("d", key, bytes(key), Map.of());
                        Thread.sleep(random.nextInt(3)); // hold the key's row a little, so others queue on it
                        if (random.nextInt(5) == 0) {
                            f.tm.rollback();
                            continue;
                        }
                        long start = System.nanoTime();
                        f.tm.commit();
                        mine.add(new Sent(key, id, start, System.nanoTime()));
                    }
                    return mine;
                }));
            }
            List<Sent> all = new ArrayList<>();
            for (Future<List<Sent>> r : results) {
                all.addAll(r.get(120, TimeUnit.SECONDS));
            }
            pool.shutdown();

            Map<MessageId, Long> seqOf = new java.util.HashMap<>();
            try (Connection c = f.plain.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, msg_key, key_seq FROM " + f.table)) {
                while (rs.next()) {
                    seqOf.put(new MessageId(rs.getString(1)), rs.getLong(3));
                }
            }
            assertThat(seqOf).as("every committed message, nothing else").hasSize(all.size());
            for (String key : keys) {
                List<Sent> ofKey = all.stream().filter(x -> x.key().equals(key)).toList();
                assertThat(ofKey.stream().map(x -> seqOf.get(x.id())).sorted().toList()).as("numbers of " + key)
                        .isEqualTo(java.util.stream.LongStream.rangeClosed(1, ofKey.size()).boxed().toList());
                for (Sent a : ofKey) {
                    for (Sent b : ofKey) {
                        if (a.commitEnd() < b.commitStart()) {
                            assertThat(seqOf.get(a.id())).as("%s committed before %s began committing", a.id(), b.id())
                                    .isLessThan(seqOf.get(b.id()));
                        }
                    }
                }
            }
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
