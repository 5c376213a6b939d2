package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.internal.io.Frames;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The network encoding of {@link PaxosMessage}s inside an authenticated envelope:
 *
 * <pre>
 * envelope = magic:int32 ("QTXP") version:int8 membersDigest:int64 from:str to:str requestId:int64 message
 * message  = kind:int8 ...   (1 Requests, 2 Replies, 3 Renew, 4 LeaseQuery, 5 LeaseReport,
 *                             6 ListAccepted, 7 AcceptedList, 8 Ack, 9 Error)
 * </pre>
 *
 * Ballots and values as in {@link AcceptorRecords}. Decoding is strict: anything that does not
 * parse exactly is a {@link MalformedMessageException}, never a half-read message.
 */
final class PaxosWire {
    static final int MAGIC = 0x51545850; // "QTXP"
    static final byte VERSION = 1;
    /** The largest envelope accepted; a longer length field is a malformed (or hostile) frame. */
    public static final int MAX_ENVELOPE_BYTES = 16 * 1024 * 1024;

    private PaxosWire() {
    }

    /** A decoded envelope. */
    public record Envelope(long membersDigest, String from, String to, long requestId, PaxosMessage message) {
    }

    public static final class MalformedMessageException extends Exception {
        public MalformedMessageException(String message) {
            super(message);
        }
    }

    public static byte[] encode(Envelope e) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            out.writeInt(MAGIC);
            out.writeByte(VERSION);
            out.writeLong(e.membersDigest());
            AcceptorRecords.writeString(out, e.from());
            AcceptorRecords.writeString(out, e.to());
            out.writeLong(e.requestId());
            writeMessage(out, e.message());
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return bytes.toByteArray();
    }

    public static Envelope decode(ByteBuffer in) throws MalformedMessageException {
        try {
            if (in.getInt() != MAGIC) {
                throw new MalformedMessageException("not a QuorumTX Paxos message (bad magic)");
            }
            byte version = in.get();
            if (version != VERSION) {
                throw new MalformedMessageException("unsupported Paxos message version " + version);
            }
            long digest = in.getLong();
            String from = Frames.readString(in);
            String to = Frames.readString(in);
            long id = in.getLong();
            PaxosMessage m = readMessage(in);
            if (in.hasRemaining()) {
                throw new MalformedMessageException(in.remaining() + " unexpected trailing byte(s)");
            }
            return new Envelope(digest, from, to, id, m);
        } catch (BufferUnderflowException | CharacterCodingException | IllegalArgumentException
                 | NullPointerException e) {
            throw new MalformedMessageException("malformed Paxos message: " + e);
        }
    }

    private static void writeMessage(DataOutputStream out, PaxosMessage m) throws IOException {
        if (m instanceof PaxosMessage.Requests r) {
            out.writeByte(1);
            out.writeInt(r.requests().size());
            for (PaxosRequest q : r.requests()) {
                writeRequest(out, q);
            }
        } else if (m instanceof PaxosMessage.Replies r) {
            out.writeByte(2);
            out.writeInt(r.replies().size());
            for (PaxosReply p : r.replies()) {
                writeReply(out, p);
            }
        } else if (m instanceof PaxosMessage.Renew r) {
            out.writeByte(3);
            AcceptorRecords.writeString(out, r.nodeId());
        } else if (m instanceof PaxosMessage.LeaseQuery) {
            out.writeByte(4);
        } else if (m instanceof PaxosMessage.LeaseReport r) {
            out.writeByte(5);
            out.writeInt(r.millisSinceRenewal().size());
            for (Map.Entry<String, Long> e : r.millisSinceRenewal().entrySet()) {
                AcceptorRecords.writeString(out, e.getKey());
                out.writeLong(e.getValue());
            }
            out.writeLong(r.rejoinedAtMillis());
            out.writeLong(r.fenceMillis());
        } else if (m instanceof PaxosMessage.ListAccepted l) {
            out.writeByte(6);
            AcceptorRecords.writeString(out, l.owner());
        } else if (m instanceof PaxosMessage.AcceptedList l) {
            out.writeByte(7);
            out.writeInt(l.gtrids().size());
            for (String g : l.gtrids()) {
                AcceptorRecords.writeString(out, g);
            }
        } else if (m instanceof PaxosMessage.Ack) {
            out.writeByte(8);
        } else {
            out.writeByte(9);
            AcceptorRecords.writeString(out, ((PaxosMessage.Error) m).message());
        }
    }

    private static PaxosMessage readMessage(ByteBuffer in) throws CharacterCodingException, MalformedMessageException {
        byte kind = in.get();
        switch (kind) {
            case 1 -> {
                int n = count(in, 5);
                List<PaxosRequest> requests = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    requests.add(readRequest(in));
                }
                return new PaxosMessage.Requests(requests);
            }
            case 2 -> {
                int n = count(in, 8);
                List<PaxosReply> replies = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    replies.add(readReply(in));
                }
                return new PaxosMessage.Replies(replies);
            }
            case 3 -> {
                return new PaxosMessage.Renew(Frames.readString(in));
            }
            case 4 -> {
                return new PaxosMessage.LeaseQuery();
            }
            case 5 -> {
                int n = count(in, 12);
                Map<String, Long> report = new HashMap<>();
                for (int i = 0; i < n; i++) {
                    String node = Frames.readString(in);
                    if (report.put(node, in.getLong()) != null) {
                        // two ages for one member: which one the lease check would use is arbitrary
                        throw new MalformedMessageException("a lease report that names node '" + node + "' twice");
                    }
                }
                return new PaxosMessage.LeaseReport(report, in.getLong(), in.getLong());
            }
            case 6 -> {
                return new PaxosMessage.ListAccepted(Frames.readString(in));
            }
            case 7 -> {
                int n = count(in, 4);
                List<String> gtrids = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    gtrids.add(Frames.readString(in));
                }
                return new PaxosMessage.AcceptedList(gtrids);
            }
            case 8 -> {
                return new PaxosMessage.Ack();
            }
            case 9 -> {
                return new PaxosMessage.Error(Frames.readString(in));
            }
            default -> throw new MalformedMessageException("unknown Paxos message kind " + kind);
        }
    }

    private static void writeRequest(DataOutputStream out, PaxosRequest q) throws IOException {
        if (q instanceof PaxosRequest.Prepare p) {
            out.writeByte(1);
            AcceptorRecords.writeString(out, p.gtrid());
            AcceptorRecords.writeBallot(out, p.ballot());
        } else if (q instanceof PaxosRequest.Accept a) {
            out.writeByte(2);
            AcceptorRecords.writeString(out, a.gtrid());
            AcceptorRecords.writeBallot(out, a.ballot());
            AcceptorRecords.writeValue(out, a.value());
        } else if (q instanceof PaxosRequest.Finish f) {
            out.writeByte(3);
            AcceptorRecords.writeString(out, f.gtrid());
            AcceptorRecords.writeValue(out, f.value());
            out.writeBoolean(f.forced());
        } else if (q instanceof PaxosRequest.Read r) {
            out.writeByte(4);
            AcceptorRecords.writeString(out, r.gtrid());
        } else {
            PaxosRequest.BranchDone d = (PaxosRequest.BranchDone) q;
            out.writeByte(5);
            AcceptorRecords.writeString(out, d.gtrid());
            writeBranch(out, d.branch());
        }
    }

    private static PaxosRequest readRequest(ByteBuffer in) throws CharacterCodingException, MalformedMessageException {
        byte kind = in.get();
        String gtrid = Frames.readString(in);
        return switch (kind) {
            case 1 -> new PaxosRequest.Prepare(gtrid, AcceptorRecords.readBallot(in));
            case 2 -> new PaxosRequest.Accept(gtrid, AcceptorRecords.readBallot(in), AcceptorRecords.readValue(in, gtrid));
            case 3 -> new PaxosRequest.Finish(gtrid, AcceptorRecords.readValue(in, gtrid), readBoolean(in));
            case 4 -> new PaxosRequest.Read(gtrid);
            case 5 -> new PaxosRequest.BranchDone(gtrid, readBranch(in));
            default -> throw new MalformedMessageException("unknown Paxos request kind " + kind);
        };
    }

    @SuppressWarnings("EnumOrdinal") // the ordinal is the wire code: the enum's order is part of the protocol (append only)
    private static void writeReply(DataOutputStream out, PaxosReply p) throws IOException {
        out.writeByte(p.kind().ordinal());
        AcceptorRecords.writeString(out, p.gtrid());
        writeOptionalBallot(out, p.ballot());
        out.writeBoolean(p.ok());
        writeOptionalBallot(out, p.promised());
        writeOptionalBallot(out, p.acceptedBallot());
        out.writeBoolean(p.accepted() != null);
        if (p.accepted() != null) {
            AcceptorRecords.writeValue(out, p.accepted());
        }
        out.writeBoolean(p.finished());
        out.writeInt(p.done().size());
        for (BranchRecord b : p.done()) {
            writeBranch(out, b);
        }
    }

    private static PaxosReply readReply(ByteBuffer in) throws CharacterCodingException, MalformedMessageException {
        int kind = in.get();
        PaxosReply.Kind[] kinds = PaxosReply.Kind.values();
        if (kind < 0 || kind >= kinds.length) {
            throw new MalformedMessageException("unknown Paxos reply kind " + kind);
        }
        String gtrid = Frames.readString(in);
        Ballot ballot = readOptionalBallot(in);
        boolean ok = readBoolean(in);
        Ballot promised = readOptionalBallot(in);
        Ballot acceptedBallot = readOptionalBallot(in);
        PaxosValue accepted = readBoolean(in) ? AcceptorRecords.readValue(in, gtrid) : null;
        boolean finished = readBoolean(in);
        int n = count(in, 8);
        List<BranchRecord> done = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            done.add(readBranch(in));
        }
        return new PaxosReply(kinds[kind], gtrid, ballot, ok, promised, acceptedBallot, accepted, finished, done);
    }

    private static void writeOptionalBallot(DataOutputStream out, Ballot b) throws IOException {
        out.writeBoolean(b != null);
        if (b != null) {
            AcceptorRecords.writeBallot(out, b);
        }
    }

    private static Ballot readOptionalBallot(ByteBuffer in) throws CharacterCodingException, MalformedMessageException {
        return readBoolean(in) ? AcceptorRecords.readBallot(in) : null;
    }

    private static void writeBranch(DataOutputStream out, BranchRecord b) throws IOException {
        AcceptorRecords.writeString(out, b.resourceName());
        AcceptorRecords.writeString(out, b.branchQualifier());
    }

    private static BranchRecord readBranch(ByteBuffer in) throws CharacterCodingException {
        return new BranchRecord(Frames.readString(in), Frames.readString(in));
    }

    private static boolean readBoolean(ByteBuffer in) throws MalformedMessageException {
        byte b = in.get();
        if (b != 0 && b != 1) {
            throw new MalformedMessageException("bad boolean " + b);
        }
        return b == 1;
    }

    /** A count of elements of at least {@code minBytes} each that the rest of the buffer can hold. */
    private static int count(ByteBuffer in, int minBytes) throws MalformedMessageException {
        int n = in.getInt();
        if (n < 0 || n > in.remaining() / minBytes) {
            throw new MalformedMessageException("element count " + n + " does not fit the message");
        }
        return n;
    }
}
