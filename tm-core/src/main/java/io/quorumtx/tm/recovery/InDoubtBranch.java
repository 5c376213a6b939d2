package io.quorumtx.tm.recovery;

import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One prepared branch of a QuorumTX transaction, as a resource listed it in {@code recover()}.
 *
 * @param resourceName the registered (or configured) name of the resource that listed it
 * @param xid the branch's Xid (ours: only QuorumTX Xids become in-doubt branches)
 * @param gtrid the global transaction id, {@code xid.gtrid()}
 * @param ownerNode the node whose coordinator began the transaction
 * @param logged the decision the commit log held when the branch was scanned
 * @param age how long ago the transaction began (from the begin time in its gtrid), or empty when
 *     it cannot be told; never negative (a begin time in the future, clock skew, reads as zero)
 */
public record InDoubtBranch(String resourceName, QuorumXid xid, String gtrid, String ownerNode, Decision logged,
        Optional<Duration> age) {

    public InDoubtBranch {
        Objects.requireNonNull(resourceName, "resourceName");
        Objects.requireNonNull(xid, "xid");
        Objects.requireNonNull(gtrid, "gtrid");
        Objects.requireNonNull(ownerNode, "ownerNode");
        Objects.requireNonNull(logged, "logged");
        Objects.requireNonNull(age, "age");
    }

    @Override
    public String toString() {
        return resourceName + ":" + xid;
    }
}
