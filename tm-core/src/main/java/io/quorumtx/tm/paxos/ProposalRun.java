package io.quorumtx.tm.paxos;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Drives one {@link Proposal} (a coordinator's commit or a takeover) to a chosen value: sends its
 * requests through the outboxes, feeds the answers back, and retries with a higher ballot when it
 * is refused or makes no progress within a request timeout.
 *
 * <p><b>Thrifty start.</b> The first requests go to {@code firstTargets} only (for the commit path,
 * a bare majority: see {@link Replicas#thriftyQuorum}); the others are asked too as soon as one of
 * those fails or refuses, or when no value is chosen within {@value #THRIFTY_MILLIS} ms.
 *
 * <p><b>Threads.</b> {@link #run} blocks its caller until a value is chosen or the limit passes.
 * Replies and failures arrive on the threads that complete the acceptors' answers; backed-off
 * retries and resends run on the log's timer thread. The proposal's state is guarded by this
 * object's monitor; requests are sent outside it.
 */
final class ProposalRun implements ReplySink {
    /** How long a thrifty round-0 accept waits for its chosen majority before asking the other acceptors too. */
    private static final long THRIFTY_MILLIS = 50;
    private static final long THRIFTY_NANOS = TimeUnit.MILLISECONDS.toNanos(THRIFTY_MILLIS);

    private final Proposal proposal;
    private final Set<String> firstTargets;
    private final Replicas replicas;
    private final ScheduledExecutorService timer;
    private final CompletableFuture<PaxosValue> result = new CompletableFuture<>();
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    private long progressNanos;
    /** The first requests, not yet sent to the acceptors outside {@link #firstTargets}; null once they were. */
    private List<PaxosRequest> heldBack;
    /** The requests of the current phase and ballot, and the acceptors that failed them (not refused). */
    private List<PaxosRequest> current = List.of();
    private final Set<String> currentFailures = new HashSet<>();
    private boolean resendScheduled;

    ProposalRun(Proposal proposal, Set<String> firstTargets, Replicas replicas, ScheduledExecutorService timer) {
        this.proposal = proposal;
        this.firstTargets = firstTargets;
        this.replicas = replicas;
        this.timer = timer;
    }

    /** The proposal met a majority past the horizon: nothing can be chosen any more, ABORT is concluded. */
    boolean isExpired() {
        synchronized (this) {
            return proposal.isExpired();
        }
    }

    /**
     * Runs the proposal until a value is chosen.
     *
     * @throws TimeoutException if none is within {@code limit} (or the caller was interrupted)
     */
    PaxosValue run(Duration limit) throws TimeoutException {
        long deadline = System.nanoTime() + limit.toNanos();
        Set<String> acceptors = replicas.all();
        List<PaxosRequest> first;
        synchronized (this) {
            first = proposal.start();
            current = first;
            progressNanos = System.nanoTime();
            if (firstTargets.size() < acceptors.size()) {
                heldBack = first;
            }
        }
        for (PaxosRequest r : first) {
            for (String a : firstTargets) {
                replicas.offer(a, r, this);
            }
        }
        boolean thrifty;
        synchronized (this) {
            thrifty = heldBack != null;
        }
        long requestTimeoutNanos = replicas.requestTimeout().toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException();
            }
            long wait = Math.min(left, thrifty ? THRIFTY_NANOS : requestTimeoutNanos);
            try {
                return result.get(wait, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (thrifty) {
                    thrifty = false;
                    releaseHeldBack(); // the bare majority was slow: ask everyone
                    continue;
                }
                retry(); // no decision within a request timeout: a higher ballot
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TimeoutException();
            }
        }
    }

    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // a scheduled retry re-checks the run's state itself; close() shuts the timer down
    public void reply(String acceptor, PaxosReply reply) {
        List<PaxosRequest> next;
        boolean rejected;
        synchronized (this) {
            next = proposal.onReply(acceptor, reply);
            if (proposal.isChosen()) {
                result.complete(proposal.chosen());
                return;
            }
            rejected = proposal.isRejected();
            if (!next.isEmpty()) {
                progressNanos = System.nanoTime();
                current = next;
                currentFailures.clear();
            }
        }
        if (!reply.ok() || !next.isEmpty()) {
            releaseHeldBack();
        }
        send(next);
        if (rejected) {
            long jitter = ThreadLocalRandom.current().nextLong(5, 50);
            timer.schedule(this::retry, jitter, TimeUnit.MILLISECONDS); // duelling proposers back off
        }
    }

    /**
     * An acceptor could not be asked (unreachable, refused the message, timed out). When so many
     * failed that no majority can answer the current requests, they are sent again to every
     * acceptor shortly (a peer that was restarting, or a connection in back-off, is back in
     * milliseconds, not after a whole request timeout). Resending the same ballot is harmless.
     */
    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // a scheduled resend re-checks the run's state itself; close() shuts the timer down
    public void failed(String acceptor, Throwable cause) {
        failures.put(acceptor, String.valueOf(cause.getMessage()));
        replicas.markUnhealthy(acceptor);
        releaseHeldBack();
        synchronized (this) {
            currentFailures.add(acceptor);
            if (result.isDone() || resendScheduled
                    || currentFailures.size() <= replicas.all().size() - replicas.quorum()) {
                return;
            }
            resendScheduled = true;
        }
        try {
            timer.schedule(this::resend, 50, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // the log is closing; the caller's deadline ends the run
        }
    }

    /** What went wrong, for the message of a run that timed out. */
    String describeFailures() {
        return failures.isEmpty() ? "no errors, only silence" : "errors: " + failures;
    }

    private void resend() {
        List<PaxosRequest> again;
        synchronized (this) {
            resendScheduled = false;
            if (result.isDone()) {
                return;
            }
            currentFailures.clear();
            heldBack = null;
            again = current;
        }
        send(again);
    }

    /** Sends the first requests to the acceptors a thrifty start passed over (once). */
    private void releaseHeldBack() {
        List<PaxosRequest> held;
        synchronized (this) {
            held = heldBack;
            heldBack = null;
        }
        if (held == null || result.isDone()) {
            return;
        }
        for (PaxosRequest r : held) {
            for (String a : replicas.all()) {
                if (!firstTargets.contains(a)) {
                    replicas.offer(a, r, this);
                }
            }
        }
    }

    private void retry() {
        List<PaxosRequest> next;
        synchronized (this) {
            if (result.isDone() || (!proposal.isRejected()
                    && System.nanoTime() - progressNanos < replicas.requestTimeout().toNanos())) {
                return;
            }
            next = proposal.retry();
            progressNanos = System.nanoTime();
            heldBack = null; // the retry's prepares go to everyone
            current = next;
            currentFailures.clear();
        }
        send(next);
    }

    private void send(List<PaxosRequest> requests) {
        for (PaxosRequest r : requests) {
            replicas.broadcast(r, this);
        }
    }
}
