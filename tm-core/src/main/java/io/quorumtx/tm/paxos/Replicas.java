package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.CommitLogException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The acceptors as one proposer and learner reaches them: its own acceptor directly (a member's
 * log), the others through the {@link PaxosTransport}, each behind its {@link Outbox}. Reads a
 * majority ({@link #read}), waits for a majority's acknowledgement ({@link #awaitQuorum}), and picks
 * the bare majority a thrifty round-0 accept goes to ({@link #thriftyQuorum}).
 *
 * <p>Thread-safe: called by the log's callers, its timer and takeover threads, and (through the
 * outboxes' reply sinks) the threads that complete the acceptors' answers.
 */
final class Replicas {
    /** How long an acceptor that failed a request is passed over by thrifty accepts. */
    private static final long UNHEALTHY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final String self;
    private final Set<String> acceptors;
    private final int quorum;
    private final Acceptor ownAcceptor;
    private final PaxosTransport transport;
    private final Duration requestTimeout;
    private final Map<String, Outbox> outboxes = new HashMap<>();
    private final Map<String, Long> unhealthyUntil = new ConcurrentHashMap<>();

    /** {@code ownAcceptor} is null for a client without an acceptor of its own (the recovery tool). */
    Replicas(String self, Set<String> acceptors, Acceptor ownAcceptor, PaxosTransport transport,
             Duration requestTimeout) {
        this.self = self;
        this.acceptors = Set.copyOf(acceptors);
        this.quorum = acceptors.size() / 2 + 1;
        this.ownAcceptor = ownAcceptor;
        this.transport = transport;
        this.requestTimeout = requestTimeout;
        for (String a : this.acceptors) {
            outboxes.put(a, new Outbox(a, self, requestTimeout, message -> send(a, message)));
        }
    }

    String self() {
        return self;
    }

    Set<String> all() {
        return acceptors;
    }

    int quorum() {
        return quorum;
    }

    Acceptor ownAcceptor() {
        return ownAcceptor;
    }

    PaxosTransport transport() {
        return transport;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    /** One message to one acceptor, unbatched (lease and listing messages, and each outbox's batches). */
    CompletableFuture<PaxosMessage> send(String acceptor, PaxosMessage message) {
        if (ownAcceptor != null && acceptor.equals(self)) {
            return ownAcceptor.handle(self, message);
        }
        return transport.send(acceptor, message);
    }

    void offer(String acceptor, PaxosRequest request, ReplySink sink) {
        outboxes.get(acceptor).offer(request, sink);
    }

    void broadcast(PaxosRequest request, ReplySink sink) {
        for (String a : acceptors) {
            outboxes.get(a).offer(request, sink);
        }
    }

    /** {@code request} to every acceptor, riding with the next batch; nobody waits for it. */
    void broadcastLazy(PaxosRequest request) {
        for (String a : acceptors) {
            outboxes.get(a).offerLazy(request);
        }
    }

    void flushLazy() {
        for (Outbox o : outboxes.values()) {
            o.flushLazy();
        }
    }

    /** Fails everything still queued and refuses more. */
    void stopOutboxes() {
        for (Outbox o : outboxes.values()) {
            o.stop();
        }
    }

    /** Thrifty accepts pass {@code acceptor} over for a while: it just failed a request. */
    void markUnhealthy(String acceptor) {
        unhealthyUntil.put(acceptor, System.nanoTime() + UNHEALTHY_NANOS);
    }

    /**
     * Thrifty Paxos for the commit path: round-0 accepts go first to a bare majority (this node's
     * acceptor and the first healthy others), so in the common case one remote acceptor forces
     * and answers per batch instead of all; {@link ProposalRun} asks the rest when one of those
     * fails or is slow. Safety does not depend on whom is asked.
     */
    Set<String> thriftyQuorum() {
        List<String> order = new ArrayList<>();
        if (ownAcceptor != null) {
            order.add(self);
        }
        long now = System.nanoTime();
        for (String a : new TreeSet<>(acceptors)) {
            Long until = unhealthyUntil.get(a);
            if (!a.equals(self) && (until == null || until - now < 0)) {
                order.add(a);
            }
        }
        return order.size() < quorum ? acceptors : Set.copyOf(order.subList(0, quorum));
    }

    /**
     * Asks every acceptor about {@code gtrid} and returns once {@code enough} holds, every acceptor
     * answered or failed, or the request timeout passed: what answered in time is what is known.
     */
    Learner read(String gtrid, Predicate<Learner> enough) {
        Learner learner = new Learner(gtrid, acceptors);
        CompletableFuture<Void> done = new CompletableFuture<>();
        ReadSink sink = new ReadSink(learner, enough, done);
        broadcast(new PaxosRequest.Read(gtrid), sink);
        try {
            done.get(requestTimeout.toMillis() + 100, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // what answered in time is what we know
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return sink.close();
    }

    /** Feeds the answers of a read to its learner until the reader has taken it. */
    private final class ReadSink implements ReplySink {
        private final Learner learner;
        private final Predicate<Learner> enough;
        private final CompletableFuture<Void> done;
        private int answered;
        private boolean returned;

        ReadSink(Learner learner, Predicate<Learner> enough, CompletableFuture<Void> done) {
            this.learner = learner;
            this.enough = enough;
            this.done = done;
        }

        @Override
        public synchronized void reply(String acceptor, PaxosReply reply) {
            if (returned) {
                return; // the caller reads the learner without the lock now
            }
            learner.onReply(acceptor, reply);
            answered++;
            if (enough.test(learner) || answered == acceptors.size()) {
                done.complete(null);
            }
        }

        @Override
        public synchronized void failed(String acceptor, Throwable cause) {
            answered++;
            if (answered == acceptors.size()) {
                done.complete(null);
            }
        }

        /** Stops feeding the learner and hands it to the reader. */
        synchronized Learner close() {
            returned = true;
            return learner;
        }
    }

    /**
     * Sends {@code request} to every acceptor and returns once a majority acknowledged it (or
     * reported the instance finished).
     *
     * @throws CommitLogException (in doubt) if no majority did within {@code limit}, or on interrupt
     */
    void awaitQuorum(PaxosRequest request, String what, Duration limit) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Set<String> acks = ConcurrentHashMap.newKeySet();
        broadcast(request, (a, r) -> {
            if (r.ok() || r.finished()) {
                acks.add(a);
                if (acks.size() >= quorum) {
                    done.complete(null);
                }
            }
        });
        try {
            done.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw CommitLogException.inDoubt("No majority of the acceptors " + acceptors + " confirmed " + what
                    + " within " + limit, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CommitLogException.inDoubt("Interrupted while waiting for " + what, e);
        }
    }
}
