package io.quorumtx.tm.xid;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out gtrids and branch Xids for one transaction manager instance.
 *
 * <p>The boot epoch is fixed when the factory is made: the start time in base 36 followed by
 * five random base-36 digits. A restarted node, or a second manager with the same node id in
 * the same millisecond, therefore never reissues an old gtrid, and recovery can tell a
 * transaction of this incarnation from one of an earlier incarnation (whose coordinator is gone).
 * Per transaction the cost is one atomic increment, a clock read and one string concatenation.
 */
public final class XidFactory {
    private static final int RANDOM_DIGITS = 5;

    private final String prefix;
    private final String epoch;
    private final long bootMillis;
    private final AtomicLong sequence = new AtomicLong();

    public XidFactory(String nodeId) {
        if (!NodeIds.isValid(nodeId)) {
            throw new IllegalArgumentException("nodeId must be 1 to " + NodeIds.MAX_LENGTH
                    + " characters of [A-Za-z0-9_-], got '" + nodeId + "'");
        }
        SecureRandom random = new SecureRandom();
        this.bootMillis = System.currentTimeMillis();
        StringBuilder epoch = new StringBuilder(Long.toString(bootMillis, 36));
        for (int i = 0; i < RANDOM_DIGITS; i++) {
            epoch.append(Character.forDigit(random.nextInt(36), 36));
        }
        this.epoch = epoch.toString();
        this.prefix = nodeId + "." + epoch + ".";
    }

    /** A gtrid never issued before by any QuorumTX manager (see class comment), carrying the time now. */
    public String newGtrid() {
        return prefix + Long.toString(sequence.incrementAndGet(), 36) + "."
                + Long.toString(System.currentTimeMillis(), 36);
    }

    /** When this incarnation started (epoch millis), the time in its boot epoch. */
    public long bootMillis() {
        return bootMillis;
    }

    /** This incarnation's boot epoch, the second part of every gtrid it issues. */
    public String epoch() {
        return epoch;
    }

    /** True if {@code gtrid} was issued by this factory's incarnation (same node id and boot epoch). */
    public boolean issued(String gtrid) {
        return gtrid.startsWith(prefix) && QuorumXid.isQuorumGtrid(gtrid);
    }

    /** The Xid of the branch {@code branchQualifier} of transaction {@code gtrid}, committed with 2PC or 3PC. */
    public QuorumXid branch(String gtrid, String branchQualifier, boolean threePhase) {
        return new QuorumXid(gtrid, branchQualifier, threePhase);
    }
}
