package io.quorumtx.tm.protocol;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.xid.QuorumXid;
import java.util.Objects;
import javax.transaction.xa.XAResource;

/**
 * One branch as the commit protocol sees it: the XAResource it was started on, its Xid, and the
 * name of the resource it lives in (the key for {@code RecoverableResource} lookups by retries
 * and recovery).
 */
public record Participant(XAResource resource, QuorumXid xid, String resourceName) {
    public Participant {
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(xid, "xid");
        Objects.requireNonNull(resourceName, "resourceName");
    }

    public BranchRecord toRecord() {
        return new BranchRecord(resourceName, xid.branchQualifier());
    }

    @Override
    public String toString() {
        return resourceName + " (" + xid + ")";
    }
}
