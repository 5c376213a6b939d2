package io.quorumtx.messaging;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * A broker stand-in for the relay tests that need no real broker: records every publication (by
 * which relay, in which order) and confirms it; {@link #failNext} makes publications fail.
 */
final class RecordingPublisher implements MessagePublisher {
    record Publication(String relay, OutboxMessage message) {
    }

    private final String relay;
    private final List<Publication> log;
    private volatile boolean failing;

    RecordingPublisher(String relay, List<Publication> log) {
        this.relay = relay;
        this.log = log;
    }

    static List<Publication> sharedLog() {
        return new CopyOnWriteArrayList<>();
    }

    void failing(boolean failing) {
        this.failing = failing;
    }

    @Override
    public void publish(List<OutboxMessage> batch) throws PublishException {
        if (failing) {
            throw PublishException.transientFailure("broker down (test)", null);
        }
        for (OutboxMessage m : batch) {
            log.add(new Publication(relay, m));
        }
    }

    @Override
    public void close() {
    }

    /** How often each message id was published. */
    static Map<MessageId, Long> countsById(List<Publication> log) {
        return log.stream().collect(Collectors.groupingBy(p -> p.message().id(), Collectors.counting()));
    }

    /** The key_seq numbers of each key, in publication order. */
    static Map<String, List<Long>> seqsByKey(List<Publication> log) {
        return log.stream().collect(Collectors.groupingBy(p -> p.message().key(),
                Collectors.mapping(p -> p.message().keySeq(), Collectors.toCollection(ArrayList::new))));
    }
}
