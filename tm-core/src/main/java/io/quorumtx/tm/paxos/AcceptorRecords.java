package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.internal.io.Frames;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The acceptor's durable records in the local commit log's framing ({@link Frames}: length,
 * CRC-32C, type, payload), with types of their own:
 *
 * <pre>
 * PROMISED (16) = gtrid:str ballot
 * ACCEPTED (17) = gtrid:str ballot value
 * FINISHED (18) = gtrid:str finishedAtMillis:int64 value
 * BRANCH_DONE (19) = gtrid:str resourceName:str branchQualifier:str
 * REJOINED (20) = "":str rejoinedAtMillis:int64 fenceMillis:int64   (the acceptor's rejoin fence)
 * ballot        = round:int64 nodeId:str
 * value         = 0 (ABORT) | 1 decidedAtMillis:int64 branchCount:int32 (resourceName:str branchQualifier:str)*
 * </pre>
 *
 * The same value and ballot encodings serve the network messages ({@code PaxosWire}).
 */
final class AcceptorRecords {
    public static final byte TYPE_PROMISED = 16;
    public static final byte TYPE_ACCEPTED = 17;
    public static final byte TYPE_FINISHED = 18;
    public static final byte TYPE_BRANCH_DONE = 19;
    public static final byte TYPE_REJOINED = 20;

    private AcceptorRecords() {
    }

    public static byte[] encode(AcceptorRecord record) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
        DataOutputStream out = new DataOutputStream(bytes);
        byte type;
        try {
            writeString(out, record.gtrid());
            if (record instanceof AcceptorRecord.Promised p) {
                type = TYPE_PROMISED;
                writeBallot(out, p.ballot());
            } else if (record instanceof AcceptorRecord.Accepted a) {
                type = TYPE_ACCEPTED;
                writeBallot(out, a.ballot());
                writeValue(out, a.value());
            } else if (record instanceof AcceptorRecord.BranchDone d) {
                type = TYPE_BRANCH_DONE;
                writeString(out, d.branch().resourceName());
                writeString(out, d.branch().branchQualifier());
            } else if (record instanceof AcceptorRecord.Rejoined j) {
                type = TYPE_REJOINED;
                out.writeLong(j.rejoinedAtMillis());
                out.writeLong(j.fenceMillis());
            } else {
                AcceptorRecord.Finished f = (AcceptorRecord.Finished) record;
                type = TYPE_FINISHED;
                out.writeLong(f.finishedAtMillis());
                writeValue(out, f.value());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return Frames.frame(type, bytes.toByteArray());
    }

    /** Records decoded from a run of frames, and where the intact run ends. */
    public record Decoded(List<AcceptorRecord> records, int end) {
    }

    /**
     * Decodes frames from {@code offset} until {@code limit} or the first frame that is
     * incomplete, fails its CRC, or does not parse: everything after it is a torn or corrupt tail.
     */
    public static Decoded decode(ByteBuffer data, int offset, int limit) {
        CRC32C crc = new CRC32C();
        List<AcceptorRecord> records = new ArrayList<>();
        int at = offset;
        while (true) {
            AcceptorRecord record = decodeFrame(data, at, limit, crc);
            if (record == null) {
                return new Decoded(records, at);
            }
            records.add(record);
            at += Frames.FRAME_OVERHEAD + data.getInt(at);
        }
    }

    private static AcceptorRecord decodeFrame(ByteBuffer data, int offset, int limit, CRC32C crc) {
        ByteBuffer body = Frames.checkedBody(data, offset, limit, crc);
        if (body == null) {
            return null;
        }
        try {
            byte type = body.get();
            String gtrid = Frames.readString(body);
            AcceptorRecord record = switch (type) {
                case TYPE_PROMISED -> new AcceptorRecord.Promised(gtrid, readBallot(body));
                case TYPE_ACCEPTED -> new AcceptorRecord.Accepted(gtrid, readBallot(body), readValue(body, gtrid));
                case TYPE_FINISHED -> {
                    long at = body.getLong();
                    yield new AcceptorRecord.Finished(gtrid, readValue(body, gtrid), at);
                }
                case TYPE_BRANCH_DONE -> new AcceptorRecord.BranchDone(gtrid,
                        new BranchRecord(Frames.readString(body), Frames.readString(body)));
                case TYPE_REJOINED -> new AcceptorRecord.Rejoined(body.getLong(), body.getLong());
                default -> null;
            };
            return body.hasRemaining() ? null : record;
        } catch (BufferUnderflowException | IllegalArgumentException | CharacterCodingException e) {
            return null;
        }
    }

    static void writeBallot(DataOutputStream out, Ballot b) throws IOException {
        out.writeLong(b.round());
        writeString(out, b.nodeId());
    }

    static Ballot readBallot(ByteBuffer in) throws CharacterCodingException {
        long round = in.getLong();
        return new Ballot(round, Frames.readString(in));
    }

    static void writeValue(DataOutputStream out, PaxosValue value) throws IOException {
        if (!value.isCommit()) {
            out.writeByte(0);
            return;
        }
        CommitRecord c = value.commit();
        out.writeByte(1);
        out.writeLong(c.decidedAtMillis());
        out.writeInt(c.branches().size());
        for (BranchRecord b : c.branches()) {
            writeString(out, b.resourceName());
            writeString(out, b.branchQualifier());
        }
    }

    /** Reads a value of instance {@code gtrid} (the gtrid is not repeated inside the value). */
    static PaxosValue readValue(ByteBuffer in, String gtrid) throws CharacterCodingException {
        byte kind = in.get();
        if (kind == 0) {
            return PaxosValue.abort();
        }
        if (kind != 1) {
            throw new IllegalArgumentException("value kind " + kind);
        }
        long decidedAt = in.getLong();
        int count = in.getInt();
        if (count < 0 || count > in.remaining() / 8) {
            throw new IllegalArgumentException("branch count " + count);
        }
        List<BranchRecord> branches = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            branches.add(new BranchRecord(Frames.readString(in), Frames.readString(in)));
        }
        return PaxosValue.commit(new CommitRecord(gtrid, branches, decidedAt));
    }

    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }
}
