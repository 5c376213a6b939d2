package io.quorumtx.bench;

import java.nio.ByteBuffer;
import java.util.Arrays;

import javax.transaction.xa.Xid;

/** The Xid of the {@code raw-xa} ceiling: a client number and a sequence, one branch per database. */
@SuppressWarnings("ArrayRecordComponent") // an Xid handed to XAResources, never compared with equals or hashed
record BenchXid(byte[] gtrid, byte[] bqual) implements Xid {
    private static final int FORMAT_ID = 0x42454e43; // "BENC"

    static BenchXid of(long client, long sequence, byte branch) {
        byte[] g = ByteBuffer.allocate(16).putLong(client).putLong(sequence).array();
        return new BenchXid(g, new byte[] {branch});
    }

    @Override
    public int getFormatId() {
        return FORMAT_ID;
    }

    @Override
    public byte[] getGlobalTransactionId() {
        return gtrid.clone();
    }

    @Override
    public byte[] getBranchQualifier() {
        return bqual.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BenchXid x && Arrays.equals(gtrid, x.gtrid) && Arrays.equals(bqual, x.bqual);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(gtrid) * 31 + Arrays.hashCode(bqual);
    }

    @Override
    public String toString() {
        return "BenchXid" + Arrays.toString(gtrid) + "/" + Arrays.toString(bqual);
    }
}
