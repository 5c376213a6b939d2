package io.quorumtx.tm.paxos;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;

/**
 * The established phase of a connection: framed envelopes, each with a sequence number and,
 * when the {@link Session} has a frame key, an HMAC-SHA256 tag:
 * {@code frame = length:int32 sequence:int64 envelope tag:32}, the tag over
 * {@code direction:int8 sequence envelope} under the session key.
 *
 * <p>The sequence numbers count per direction from 0, one up per frame, and the receiver
 * requires exactly the next one: a frame replayed later on the same connection carries an old
 * number (and re-numbering it breaks its tag); a frame from another connection fails the tag,
 * because every connection has its own session key; the direction byte keeps a request from being
 * reflected back to its sender as a reply. The length is checked against
 * {@link PaxosWire#MAX_ENVELOPE_BYTES} before anything is allocated; only authenticated peers
 * reach this phase.
 *
 * <p>Threads: one reader thread calls {@link #read}; {@link #write} is synchronized, so replies
 * completed on several threads never interleave.
 */
final class FrameChannel {
    static final int TAG_BYTES = 32;
    private static final byte CLIENT_TO_SERVER = 'C';
    private static final byte SERVER_TO_CLIENT = 'S';

    private final Session session;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final byte outDirection;
    private final byte inDirection;
    private final Mac readMac;
    private final Mac writeMac;
    private final int tagBytes;
    private long sendSequence;
    private long receiveSequence;

    FrameChannel(Socket socket, Session session, boolean clientSide) throws IOException {
        this.session = session;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
        this.outDirection = clientSide ? CLIENT_TO_SERVER : SERVER_TO_CLIENT;
        this.inDirection = clientSide ? SERVER_TO_CLIENT : CLIENT_TO_SERVER;
        this.readMac = session.frameKey() == null ? null : mac(session);
        this.writeMac = session.frameKey() == null ? null : mac(session);
        this.tagBytes = session.frameKey() == null ? 0 : TAG_BYTES;
    }

    Session session() {
        return session;
    }

    private static Mac mac(Session session) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(session.frameKey());
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }

    /** Sends one envelope as the next frame of this direction. */
    synchronized void write(byte[] envelope) throws IOException {
        long sequence = sendSequence++;
        out.writeInt(8 + envelope.length + tagBytes);
        out.writeLong(sequence);
        out.write(envelope);
        if (writeMac != null) {
            out.write(tag(writeMac, outDirection, sequence, envelope));
        }
        out.flush();
    }

    /** The next frame's envelope, authenticated and in sequence; the reason in the exception otherwise. */
    byte[] read() throws IOException, RefusedFrame {
        int length = in.readInt();
        int min = 8 + 1 + tagBytes;
        int max = 8 + PaxosWire.MAX_ENVELOPE_BYTES + tagBytes;
        if (length < min || length > max) {
            throw new RefusedFrame("a frame of impossible length " + length + " (" + min + " to " + max + ")");
        }
        long sequence = in.readLong();
        byte[] envelope = new byte[length - 8 - tagBytes];
        in.readFully(envelope);
        if (readMac != null) {
            byte[] tag = new byte[TAG_BYTES];
            in.readFully(tag);
            if (!MessageDigest.isEqual(tag, tag(readMac, inDirection, sequence, envelope))) {
                throw new RefusedFrame("a frame that failed authentication (HMAC under this connection's session"
                        + " key): a frame of another connection replayed, or a corrupted one");
            }
        }
        if (sequence != receiveSequence) {
            throw new RefusedFrame("a frame with sequence number " + sequence + " where " + receiveSequence
                    + " was due: a replayed or reordered frame");
        }
        receiveSequence++;
        return envelope;
    }

    private static byte[] tag(Mac mac, byte direction, long sequence, byte[] envelope) {
        mac.update(direction);
        for (int shift = 56; shift >= 0; shift -= 8) {
            mac.update((byte) (sequence >>> shift));
        }
        return mac.doFinal(envelope);
    }

    /** A frame was refused: the connection is closed and nothing it carried is used. */
    static final class RefusedFrame extends Exception {
        RefusedFrame(String message) {
            super(message);
        }
    }
}
