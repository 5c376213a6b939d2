package io.quorumtx.tm.xid;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import javax.transaction.xa.Xid;

/**
 * The Xid of one QuorumTX transaction branch, as a value.
 *
 * <p>Both parts are ASCII strings of at most {@value #MAX_LENGTH} bytes, so databases that store
 * Xids as text (PostgreSQL gid, MySQL/MariaDB {@code XA RECOVER}, H2 transaction names) keep them
 * intact and a human can read them in the recovery tool:
 * <ul>
 *   <li>global transaction id: {@code <nodeId>.<bootEpoch>.<seq>.<begin>}, for example
 *       {@code node-1.lz3k9q2a7f1x.1f.lz3kab12}. The node id tells recovery which coordinator owns
 *       an in-doubt branch; the boot epoch (start time plus random digits, base 36) names the
 *       incarnation of the node that began it and keeps two incarnations, or two managers given
 *       the same node id, from ever reusing a gtrid; the sequence (base 36) is unique within one
 *       incarnation; the begin time (epoch millis, base 36) gives recovery the transaction's age
 *       without any state of its own, so a branch is never rolled back for lack of a decision
 *       while it is younger than the safety interval. Longest case: 24 + 14 + 13 + 9 characters
 *       and three dots, 63 bytes.</li>
 *   <li>branch qualifier: the resource's stable name ({@code NamedResource}), so recovery can
 *       route the branch back to its database, or {@code r<n>} for an unnamed resource.</li>
 * </ul>
 * The format id marks Xids as ours ({@link #FORMAT_ID} for two-phase commit,
 * {@link #FORMAT_ID_THREE_PHASE} for three-phase commit, so recovery can tell from a database's
 * list of prepared branches alone which protocol a branch belongs to, even when the commit log is
 * lost); {@link #parse} ignores every other Xid.
 *
 * @param threePhase the branch belongs to a three-phase-commit transaction (pre-commit markers)
 */
public record QuorumXid(String gtrid, String branchQualifier, boolean threePhase) implements Xid {

    /** "QTX1" in ASCII: the format id of every Xid of a two-phase-commit transaction. */
    public static final int FORMAT_ID = 0x51545831;

    /** "QTX3" in ASCII: the format id of every Xid of a three-phase-commit transaction. */
    public static final int FORMAT_ID_THREE_PHASE = 0x51545833;

    /** XA's limit (MAXGTRIDSIZE and MAXBQUALSIZE) for each part, in bytes. */
    public static final int MAX_LENGTH = 64;

    /** A branch of a two-phase-commit transaction. */
    public QuorumXid(String gtrid, String branchQualifier) {
        this(gtrid, branchQualifier, false);
    }

    public QuorumXid {
        requirePrintableAscii("gtrid", gtrid);
        requirePrintableAscii("branchQualifier", branchQualifier);
        int dot = gtrid.indexOf('.');
        if (dot <= 0) {
            throw new IllegalArgumentException(
                    "gtrid '" + gtrid + "' is not of the form <nodeId>.<bootEpoch>.<seq>.<begin>");
        }
    }

    /**
     * Reads any Xid: a QuorumTX Xid (our format id, a gtrid of the form
     * {@code nodeId.epoch.seq.begin}, printable ASCII parts within 64 bytes) comes back as a value;
     * anything else (another transaction manager's Xid) as empty.
     */
    public static Optional<QuorumXid> parse(Xid xid) {
        if (xid == null) {
            return Optional.empty();
        }
        if (xid instanceof QuorumXid q) {
            return Optional.of(q);
        }
        int formatId = xid.getFormatId();
        if (formatId != FORMAT_ID && formatId != FORMAT_ID_THREE_PHASE) {
            return Optional.empty();
        }
        String gtrid = asciiOrNull(xid.getGlobalTransactionId());
        String bqual = asciiOrNull(xid.getBranchQualifier());
        if (gtrid == null || bqual == null || !isQuorumGtrid(gtrid)) {
            return Optional.empty();
        }
        return Optional.of(new QuorumXid(gtrid, bqual, formatId == FORMAT_ID_THREE_PHASE));
    }

    /** The node id of the coordinator that owns this transaction (the gtrid up to its first dot). */
    public String ownerNodeId() {
        return ownerNodeId(gtrid);
    }

    /** The owner node id of a QuorumTX gtrid string. */
    public static String ownerNodeId(String gtrid) {
        int dot = gtrid.indexOf('.');
        if (dot <= 0) {
            throw new IllegalArgumentException("not a QuorumTX gtrid: '" + gtrid + "'");
        }
        return gtrid.substring(0, dot);
    }

    /**
     * The gtrid of transaction {@code sequence} of incarnation {@code epoch} of node {@code nodeId},
     * begun at {@code beginMillis} (epoch millis). {@code XidFactory} is the one producer in the
     * transaction manager; tests and tools use this to write gtrids of chosen ages.
     */
    public static String formatGtrid(String nodeId, String epoch, long sequence, long beginMillis) {
        String gtrid = nodeId + "." + epoch + "." + Long.toString(sequence, 36) + "." + Long.toString(beginMillis, 36);
        if (!isQuorumGtrid(gtrid)) {
            throw new IllegalArgumentException("Cannot form a QuorumTX gtrid from node id '" + nodeId + "', epoch '"
                    + epoch + "', sequence " + sequence + " and begin time " + beginMillis
                    + ": the node id must be 1 to " + NodeIds.MAX_LENGTH + " characters of [A-Za-z0-9_-], the epoch"
                    + " lower-case base 36, the numbers positive, and the whole at most " + MAX_LENGTH + " bytes");
        }
        return gtrid;
    }

    /** True if {@code gtrid} has the shape {@code nodeId.epoch.seq.begin} QuorumTX generates. */
    public static boolean isQuorumGtrid(String gtrid) {
        if (gtrid == null || gtrid.isEmpty() || gtrid.length() > MAX_LENGTH) {
            return false;
        }
        int first = gtrid.indexOf('.');
        int second = first < 0 ? -1 : gtrid.indexOf('.', first + 1);
        int third = second < 0 ? -1 : gtrid.indexOf('.', second + 1);
        if (first < 1 || first > NodeIds.MAX_LENGTH || second < first + 2 || third < second + 2
                || third == gtrid.length() - 1 || gtrid.indexOf('.', third + 1) >= 0) {
            return false;
        }
        return NodeIds.isValid(gtrid.substring(0, first))
                && isBase36(gtrid, first + 1, second, 20) && isBase36(gtrid, second + 1, third, 13)
                && isBase36(gtrid, third + 1, gtrid.length(), 12);
    }

    /** The boot epoch of the incarnation that began this transaction (the gtrid's second part). */
    public String epoch() {
        return epoch(gtrid);
    }

    /** The boot epoch of a QuorumTX gtrid (see {@link #isQuorumGtrid}). */
    public static String epoch(String gtrid) {
        requireQuorumGtrid(gtrid);
        int first = gtrid.indexOf('.');
        return gtrid.substring(first + 1, gtrid.indexOf('.', first + 1));
    }

    /** When the transaction began, in epoch millis of its coordinator's clock. */
    public long beginMillis() {
        return beginMillis(gtrid);
    }

    /** The begin time (epoch millis) written into a QuorumTX gtrid. */
    public static long beginMillis(String gtrid) {
        requireQuorumGtrid(gtrid);
        return Long.parseLong(gtrid.substring(gtrid.lastIndexOf('.') + 1), 36);
    }

    private static void requireQuorumGtrid(String gtrid) {
        if (!isQuorumGtrid(gtrid)) {
            throw new IllegalArgumentException("not a QuorumTX gtrid (<nodeId>.<bootEpoch>.<seq>.<begin>): '"
                    + gtrid + "'");
        }
    }

    @Override
    public int getFormatId() {
        return threePhase ? FORMAT_ID_THREE_PHASE : FORMAT_ID;
    }

    /** A fresh copy each call: drivers may keep or modify what they are given. */
    @Override
    public byte[] getGlobalTransactionId() {
        return gtrid.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public byte[] getBranchQualifier() {
        return branchQualifier.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return gtrid + ":" + branchQualifier;
    }

    private static boolean isBase36(String s, int from, int to, int maxDigits) {
        if (to - from > maxDigits) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
                return false;
            }
        }
        return to > from;
    }

    private static String asciiOrNull(byte[] bytes) {
        if (bytes == null || bytes.length == 0 || bytes.length > MAX_LENGTH) {
            return null;
        }
        for (byte b : bytes) {
            if (b < 0x21 || b > 0x7e) {
                return null;
            }
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static void requirePrintableAscii(String what, String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(what + " must be 1 to " + MAX_LENGTH
                    + " ASCII characters, got " + (value == null ? "null" : "'" + value + "'"));
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException(what + " must be printable ASCII without spaces, got '"
                        + value + "' (bad character at index " + i + ")");
            }
        }
    }
}
