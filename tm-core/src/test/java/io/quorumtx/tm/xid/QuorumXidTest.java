package io.quorumtx.tm.xid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;

class QuorumXidTest {

    private static Xid foreign(int formatId, String gtrid, String bqual) {
        return new Xid() {
            @Override
            public int getFormatId() {
                return formatId;
            }

            @Override
            public byte[] getGlobalTransactionId() {
                return gtrid.getBytes(StandardCharsets.US_ASCII);
            }

            @Override
            public byte[] getBranchQualifier() {
                return bqual.getBytes(StandardCharsets.US_ASCII);
            }
        };
    }

    @Test
    void gtridCarriesNodeIdEpochSequenceAndBeginTimeAsAscii() {
        XidFactory xids = new XidFactory("node-7");
        long before = System.currentTimeMillis();
        String g1 = xids.newGtrid();
        String g2 = xids.newGtrid();
        long after = System.currentTimeMillis();
        assertThat(g1).matches("node-7\\.[0-9a-z]+\\.1\\.[0-9a-z]+");
        assertThat(g2).matches("node-7\\.[0-9a-z]+\\.2\\.[0-9a-z]+");
        assertThat(QuorumXid.beginMillis(g1)).isBetween(before, after);
        assertThat(QuorumXid.epoch(g1)).isEqualTo(xids.epoch());
        assertThat(xids.issued(g1)).isTrue();
        assertThat(new XidFactory("node-7").issued(g1)).as("another incarnation").isFalse();
        QuorumXid xid = xids.branch(g1, "orders-db", false);
        assertThat(xid.getFormatId()).isEqualTo(QuorumXid.FORMAT_ID);
        assertThat(new String(xid.getGlobalTransactionId(), StandardCharsets.US_ASCII)).isEqualTo(g1);
        assertThat(new String(xid.getBranchQualifier(), StandardCharsets.US_ASCII)).isEqualTo("orders-db");
        assertThat(xid.ownerNodeId()).isEqualTo("node-7");
    }

    @Test
    void longestNodeIdEpochSequenceAndBeginTimeStayWithin64Bytes() {
        // Epoch: a 9-digit time (after 2059) plus 5 random digits; begin time 9 digits; sequence Long.MAX_VALUE.
        String epoch = Long.toString(36L * 36 * 36 * 36 * 36 * 36 * 36 * 36, 36) + "zzzzz";
        assertThat(epoch).hasSize(14);
        String worst = QuorumXid.formatGtrid("n".repeat(24), epoch, Long.MAX_VALUE, 36L * 36 * 36 * 36 * 36 * 36 * 36 * 36);
        assertThat(worst.length()).isLessThanOrEqualTo(QuorumXid.MAX_LENGTH);
        assertThat(QuorumXid.isQuorumGtrid(worst)).isTrue();
        assertThat(QuorumXid.beginMillis(worst)).isEqualTo(36L * 36 * 36 * 36 * 36 * 36 * 36 * 36);
        QuorumXid xid = new QuorumXid(worst, "r".repeat(48) + "~99");
        assertThat(xid.getGlobalTransactionId().length).isLessThanOrEqualTo(64);
        assertThat(xid.getBranchQualifier().length).isLessThanOrEqualTo(64);
    }

    @Test
    void partsLongerThan64BytesOrNotAsciiAreRejected() {
        assertThatThrownBy(() -> new QuorumXid("n.1.1", "b".repeat(65))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64");
        assertThatThrownBy(() -> new QuorumXid("n.1.1", "caf\u00e9")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QuorumXid("n.1.1", "with space")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QuorumXid("nodots", "b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void twoFactoriesWithTheSameNodeIdNeverIssueTheSameGtrid() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            assertThat(seen.add(new XidFactory("same").newGtrid())).isTrue();
        }
    }

    @Test
    void parseReadsOurXidsFromAnyXidImplementationAndComparesByValue() {
        QuorumXid original = new XidFactory("n1").branch(new XidFactory("n1").newGtrid(), "db", false);
        Xid copy = foreign(QuorumXid.FORMAT_ID, original.gtrid(), "db");
        assertThat(QuorumXid.parse(copy)).contains(original);
        QuorumXid threePhase = new XidFactory("n1").branch(original.gtrid(), "db", true);
        assertThat(threePhase.getFormatId()).isEqualTo(QuorumXid.FORMAT_ID_THREE_PHASE).isNotEqualTo(QuorumXid.FORMAT_ID);
        assertThat(QuorumXid.parse(foreign(QuorumXid.FORMAT_ID_THREE_PHASE, original.gtrid(), "db")))
                .as("the protocol survives a database's list of prepared branches").contains(threePhase);
        assertThat(threePhase).isNotEqualTo(original);
        assertThat(QuorumXid.parse(copy).orElseThrow().ownerNodeId()).isEqualTo("n1");
        assertThat(QuorumXid.parse(original)).contains(original);
        assertThat(original).isEqualTo(new QuorumXid(original.gtrid(), "db")).hasSameHashCodeAs(
                new QuorumXid(original.gtrid(), "db"));
    }

    @Test
    void parseIgnoresOtherTransactionManagersXids() {
        assertThat(QuorumXid.parse(foreign(0x20263, "n1.abc.1.lz0", "db"))).isEmpty(); // other format id
        assertThat(QuorumXid.parse(foreign(QuorumXid.FORMAT_ID, "not-ours", "db"))).isEmpty();
        assertThat(QuorumXid.parse(foreign(QuorumXid.FORMAT_ID, "n1.ABC.1.lz0", "db"))).isEmpty(); // not base 36 lower
        assertThat(QuorumXid.parse(foreign(QuorumXid.FORMAT_ID, "n1.abc.1.lz0", ""))).isEmpty();
        assertThat(QuorumXid.parse(foreign(QuorumXid.FORMAT_ID, "n1.abc.1", "db"))).as("three parts: no begin time")
                .isEmpty();
        assertThat(QuorumXid.parse(null)).isEmpty();
    }
}
