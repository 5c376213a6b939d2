package io.quorumtx.tm.spi;

import java.util.Collection;
import java.util.List;
import javax.transaction.xa.XAException;

/**
 * The participant side of three-phase commit: durable pre-commit markers kept by a resource
 * manager outside any transaction branch (a small table of the database, a file of a
 * {@link ThreePhaseParticipant}).
 *
 * <p>The coordinator writes a marker into every participant only after the COMMIT decision is
 * durable in the commit log, and commits no branch before every marker is written. So a marker
 * anywhere proves the decision was COMMIT, and a transaction without a marker in any of its
 * participants has no committed branch: recovery can finish it from the participants alone when
 * the commit log is lost. Markers are deleted once the transaction is finished everywhere.
 * Implementations must be thread-safe.
 */
public interface PreCommitMarkers {

    /**
     * Makes the marker of {@code gtrid} durable before returning (idempotent: writing an existing
     * marker again succeeds).
     *
     * @param participants the resource names of every participant of the transaction
     * @throws XAException (usually {@code XAER_RMFAIL}) when it could not be made durable
     */
    void write(String gtrid, List<String> participants) throws XAException;

    /** Every marker this participant keeps. */
    List<PreCommitMarker> list() throws XAException;

    /** Deletes the markers of {@code gtrids} now (recovery, once their transactions are finished everywhere). */
    void delete(Collection<String> gtrids) throws XAException;

    /**
     * Deletes the marker of a transaction that just finished, when convenient (for example with the
     * next write). Losing this request is harmless: recovery deletes markers of finished transactions.
     */
    default void deleteLater(String gtrid) {
        try {
            delete(List.of(gtrid));
        } catch (XAException e) {
            // Recovery deletes it: see the contract.
        }
    }
}
