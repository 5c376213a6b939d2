package io.quorumtx.jdbc.dialect;

import java.util.Arrays;
import java.util.HexFormat;
import javax.transaction.xa.Xid;

/**
 * An {@link Xid} decoded from a database's list of prepared branches. Compared by content, so it
 * equals the Xid the transaction manager issued.
 */
@SuppressWarnings("ArrayRecordComponent") // an Xid: compared component-wise with Arrays.equals, as the Xid contract requires, never with equals
public record BranchXid(int formatId, byte[] globalTransactionId, byte[] branchQualifier) implements Xid {

    /** XA limit on each of the two byte strings. */
    public static final int MAX_PART_LENGTH = Xid.MAXGTRIDSIZE;

    public BranchXid {
        globalTransactionId = globalTransactionId.clone();
        branchQualifier = branchQualifier.clone();
    }

    public static BranchXid copyOf(Xid xid) {
        return xid instanceof BranchXid b ? b
                : new BranchXid(xid.getFormatId(), xid.getGlobalTransactionId(), xid.getBranchQualifier());
    }

    @Override
    public int getFormatId() {
        return formatId;
    }

    @Override
    public byte[] getGlobalTransactionId() {
        return globalTransactionId.clone();
    }

    @Override
    public byte[] getBranchQualifier() {
        return branchQualifier.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Xid x && x.getFormatId() == formatId
                && Arrays.equals(x.getGlobalTransactionId(), globalTransactionId)
                && Arrays.equals(x.getBranchQualifier(), branchQualifier);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * formatId + Arrays.hashCode(globalTransactionId)) + Arrays.hashCode(branchQualifier);
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return "Xid[" + formatId + ", " + hex.formatHex(globalTransactionId) + ", " + hex.formatHex(branchQualifier) + "]";
    }
}
