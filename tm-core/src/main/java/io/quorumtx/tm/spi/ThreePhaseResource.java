package io.quorumtx.tm.spi;

import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.xid.NodeIds;
import io.quorumtx.tm.xid.QuorumXid;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * Makes a {@link ThreePhaseParticipant} an {@link XAResource} the transaction enlists, and the
 * {@link RecoverableResource} (with its {@link PreCommitMarkers}) that retries and recovery reach it
 * through. One instance per participant; register it once, enlist it in each transaction.
 *
 * <p>It takes part only in {@link CommitProtocolType#THREE_PHASE} transactions: recovery reports
 * every prepared transaction of the participant as a three-phase branch, which is only true if no
 * two-phase transaction ever used it. Enlisting it in a two-phase transaction fails.
 */
public final class ThreePhaseResource implements XAResource, NamedResource, RecoverableResource, PreCommitMarkers {

    private final ThreePhaseParticipant participant;
    private final String name;

    public ThreePhaseResource(ThreePhaseParticipant participant) {
        this.participant = Objects.requireNonNull(participant, "participant");
        this.name = participant.name();
        if (!NodeIds.isValidResourceName(name)) {
            throw new IllegalArgumentException("participant name '" + name + "' is invalid: use 1 to "
                    + NodeIds.MAX_RESOURCE_NAME_LENGTH + " characters of [A-Za-z0-9_.-]");
        }
    }

    @Override
    public String resourceName() {
        return name;
    }

    @Override
    public PreCommitMarkers preCommitMarkers() {
        return this;
    }

    @Override
    public RecoveryConnection openRecoveryConnection() {
        return new RecoveryConnection() {
            @Override
            public XAResource xaResource() {
                return ThreePhaseResource.this;
            }

            @Override
            public void close() {
            }
        };
    }

    // ------------------------------------------------------------------ XAResource

    @Override
    public void start(Xid xid, int flags) throws XAException {
        QuorumXid q = ours(xid);
        if (!q.threePhase()) {
            throw error(XAException.XAER_INVAL, "participant " + name + " takes part only in THREE_PHASE transactions,"
                    + " and transaction " + q.gtrid() + " commits with TWO_PHASE", null);
        }
        if (flags == TMNOFLAGS) {
            call(() -> participant.begin(q.gtrid()), XAException.XAER_RMERR, "begin");
        }
    }

    @Override
    public void end(Xid xid, int flags) {
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        String gtrid = ours(xid).gtrid();
        try {
            return participant.prepare(gtrid) ? XA_OK : XA_RDONLY;
        } catch (Exception e) {
            throw error(XAException.XA_RBROLLBACK, "participant " + name + " voted no for " + gtrid, e);
        }
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        String gtrid = ours(xid).gtrid();
        if (onePhase) {
            boolean work;
            try {
                work = participant.prepare(gtrid);
            } catch (Exception e) {
                call(() -> participant.abort(gtrid), XAException.XAER_RMFAIL, "abort");
                throw error(XAException.XA_RBROLLBACK, "participant " + name + " could not prepare " + gtrid, e);
            }
            if (!work) {
                return;
            }
        }
        call(() -> participant.commit(gtrid), XAException.XAER_RMFAIL, "commit");
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        String gtrid = ours(xid).gtrid();
        call(() -> participant.abort(gtrid), XAException.XAER_RMFAIL, "abort");
    }

    @Override
    public Xid[] recover(int flag) throws XAException {
        if ((flag & TMSTARTRSCAN) == 0) {
            return new Xid[0];
        }
        Collection<String> prepared;
        try {
            prepared = participant.prepared();
        } catch (Exception e) {
            throw error(XAException.XAER_RMFAIL, "participant " + name + " could not list its prepared transactions", e);
        }
        return prepared.stream().filter(QuorumXid::isQuorumGtrid).map(g -> new QuorumXid(g, name, true))
                .toArray(Xid[]::new);
    }

    @Override
    public void forget(Xid xid) {
    }

    @Override
    public boolean isSameRM(XAResource other) {
        return other == this;
    }

    @Override
    public int getTransactionTimeout() {
        return 0;
    }

    @Override
    public boolean setTransactionTimeout(int seconds) {
        return false;
    }

    // ------------------------------------------------------------------ markers

    @Override
    public void write(String gtrid, List<String> participants) throws XAException {
        call(() -> participant.preCommit(gtrid, participants), XAException.XAER_RMFAIL, "pre-commit");
    }

    @Override
    public List<PreCommitMarker> list() throws XAException {
        try {
            return participant.markers();
        } catch (Exception e) {
            throw error(XAException.XAER_RMFAIL, "participant " + name + " could not list its pre-commit markers", e);
        }
    }

    @Override
    public void delete(Collection<String> gtrids) throws XAException {
        call(() -> participant.deleteMarkers(gtrids), XAException.XAER_RMFAIL, "delete markers");
    }

    @Override
    public String toString() {
        return "ThreePhaseResource[" + name + "]";
    }

    private QuorumXid ours(Xid xid) throws XAException {
        return QuorumXid.parse(xid).orElseThrow(() -> error(XAException.XAER_NOTA,
                "participant " + name + " only takes QuorumTX Xids, got " + xid, null));
    }

    private interface Step {
        void run() throws Exception;
    }

    private void call(Step step, int code, String what) throws XAException {
        try {
            step.run();
        } catch (Exception e) {
            throw error(code, what + " failed in participant " + name + ": " + e.getMessage(), e);
        }
    }

    private static XAException error(int code, String message, Throwable cause) {
        XAException e = new XAException(message);
        e.errorCode = code;
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }
}
