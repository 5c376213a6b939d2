package io.quorumtx.tm.paxos;

import java.util.Objects;
import javax.crypto.SecretKey;

/**
 * What a {@link ConnectionSecurity} established for one connection: the node id the peer
 * proved (the only id its messages, ballots and lease renewals may carry) and the key of the
 * per-frame MACs, or {@code null} when the channel itself is authenticated and encrypted (TLS),
 * so frames carry no MAC. Sequence numbers are checked by {@link FrameChannel} in both cases.
 *
 * @param peerNodeId the authenticated id of the other end (a member id or a recovery-tool id)
 * @param frameKey   this session's frame MAC key (fresh per connection), or null for a secure channel
 */
record Session(String peerNodeId, SecretKey frameKey) {
    Session {
        Objects.requireNonNull(peerNodeId, "peerNodeId");
    }

    /** Never shows the key. */
    @Override
    public String toString() {
        return "Session[peer=" + peerNodeId + (frameKey == null ? ", secure channel]" : ", frame MACs]");
    }
}
