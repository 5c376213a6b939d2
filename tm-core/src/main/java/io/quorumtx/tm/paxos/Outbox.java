package io.quorumtx.tm.paxos;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests to one acceptor, batched without a thread of its own: whichever caller finds the
 * outbox idle sends everything queued as one {@link PaxosMessage.Requests} message (group commit's
 * leader/follower), up to {@value #MAX_IN_FLIGHT} messages in flight; while they are, requests
 * queue up and the next completion sends them as the next batch. The acceptor forces once for a
 * whole batch.
 *
 * <p><b>Threads.</b> A batch is sent by the thread that offered a request (an application's commit
 * thread, recovery, the timer's lazy flush) or by the thread that completed the previous batch.
 * Answers are dispatched to each request's {@link ReplySink} by the thread that completes them (the
 * acceptor's own thread, or the connection's reader), so neither a request nor a reply waits for a
 * thread hand-off. At most one thread drains at a time ({@code draining}).
 *
 * <p>The queue is bounded ({@value #CAPACITY} requests): past that, a request fails at once.
 * Lazy requests (unforced FINISHes nobody waits for) wait in a queue of their own and ride with the
 * next batch, or go on their own at the periodic {@link #flushLazy}.
 */
final class Outbox {
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    static final int CAPACITY = 65_536;
    static final int MAX_BATCH = 4096;
    static final int MAX_IN_FLIGHT = 4;

    /** A request and where its answer goes. */
    private record Queued(PaxosRequest request, ReplySink sink) {
    }

    private final String acceptor;
    private final String self;
    private final Duration requestTimeout;
    private final Function<PaxosMessage, CompletableFuture<PaxosMessage>> link;
    private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Queued> lazy = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile boolean stopped;

    /**
     * @param acceptor the acceptor this outbox sends to
     * @param self this node (named when the outbox is closed)
     * @param link sends one message to {@code acceptor} and completes with its answer
     */
    Outbox(String acceptor, String self, Duration requestTimeout,
           Function<PaxosMessage, CompletableFuture<PaxosMessage>> link) {
        this.acceptor = acceptor;
        this.self = self;
        this.requestTimeout = requestTimeout;
        this.link = link;
    }

    void offer(PaxosRequest request, ReplySink sink) {
        if (stopped || queued.incrementAndGet() > CAPACITY) {
            queued.decrementAndGet();
            sink.failed(acceptor, new IOException("the outbox to acceptor " + acceptor + " is "
                    + (stopped ? "closed" : "full")));
            return;
        }
        queue.add(new Queued(request, sink));
        drain();
    }

    /** Queues a request nobody waits for: it rides with the next batch, or the periodic flush sends it. */
    void offerLazy(PaxosRequest request) {
        if (stopped || queued.incrementAndGet() > CAPACITY) {
            queued.decrementAndGet();
            return; // lazy: a lost FINISH only leaves the instance for recovery to finish later
        }
        lazy.add(new Queued(request, ReplySink.IGNORE));
    }

    void flushLazy() {
        if (!lazy.isEmpty()) {
            queue.add(lazy.poll()); // one lazy item in the main queue makes drain() send them all
            drain();
        }
    }

    /** Refuses further requests and fails those still queued. */
    void stop() {
        stopped = true;
        List<Queued> left = new ArrayList<>();
        for (Queued item = queue.poll(); item != null; item = queue.poll()) {
            left.add(item);
        }
        dispatch(left, null, new IOException("the replicated log of " + self + " is closed"));
    }

    /** Sends queued requests while a message slot is free; exactly one thread sends at a time. */
    private void drain() {
        while (!queue.isEmpty() && inFlight.availablePermits() > 0 && draining.compareAndSet(false, true)) {
            try {
                while (!queue.isEmpty() && inFlight.tryAcquire()) {
                    List<Queued> batch = new ArrayList<>();
                    for (Queued item = queue.poll(); item != null; item = batch.size() < MAX_BATCH
                            ? queue.poll() : null) {
                        batch.add(item);
                    }
                    for (Queued item = batch.size() < MAX_BATCH ? lazy.poll() : null; item != null;
                         item = batch.size() < MAX_BATCH ? lazy.poll() : null) {
                        batch.add(item);
                    }
                    queued.addAndGet(-batch.size());
                    if (batch.isEmpty()) {
                        inFlight.release();
                        break;
                    }
                    sendBatch(batch);
                }
            } finally {
                draining.set(false);
            }
        }
    }

    @SuppressWarnings("FutureReturnValueIgnored") // the whenComplete stage handles every outcome (dispatch); its own future adds nothing
    private void sendBatch(List<Queued> batch) {
        List<PaxosRequest> requests = new ArrayList<>(batch.size());
        for (Queued item : batch) {
            requests.add(item.request());
        }
        CompletableFuture<PaxosMessage> reply;
        try {
            reply = link.apply(new PaxosMessage.Requests(requests));
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        reply.whenComplete((answer, failure) -> {
            inFlight.release();
            dispatch(batch, answer, failure);
            drain();
        });
    }

    private void dispatch(List<Queued> batch, PaxosMessage answer, Throwable failure) {
        if (answer instanceof PaxosMessage.Replies replies && replies.replies().size() == batch.size()) {
            for (int i = 0; i < batch.size(); i++) {
                deliver(batch.get(i), replies.replies().get(i));
            }
            return;
        }
        Throwable why = failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure;
        if (why instanceof TimeoutException) {
            why = new IOException("acceptor " + acceptor + " did not answer within " + requestTimeout);
        } else if (why == null) {
            why = new IOException(answer instanceof PaxosMessage.Error err ? err.message()
                    : "unexpected answer " + answer);
        }
        for (Queued item : batch) {
            try {
                item.sink().failed(acceptor, why);
            } catch (RuntimeException e) {
                LOG.error("Handling a failure of acceptor {} failed", acceptor, e);
            }
        }
    }

    private void deliver(Queued item, PaxosReply reply) {
        try {
            item.sink().reply(acceptor, reply);
        } catch (RuntimeException e) {
            LOG.error("Handling a reply of acceptor {} failed", acceptor, e);
        }
    }
}
