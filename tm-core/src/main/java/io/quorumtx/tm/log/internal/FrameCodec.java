package io.quorumtx.tm.log.internal;

import io.quorumtx.tm.internal.io.Frames;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk format of the local commit log.
 *
 * <pre>
 * segment = header frame*
 * header  = magic:int32 ("QTXL") version:int32 segmentId:int64          (16 bytes)
 * frame   = length:int32 crc:int32 type:int8 payload                    (length = 1 + payload bytes)
 *           crc = CRC-32C over type and payload
 * COMMIT  = gtrid:str decidedAtMillis:int64 branchCount:int32 (resourceName:str branchQualifier:str)*
 * END     = gtrid:str
 * BRANCH_DONE = gtrid:str resourceName:str branchQualifier:str   (a branch of an unfinished COMMIT
 *           that recovery or the phase-2 retrier finished; forced, see CommitLog#logBranchDone)
 * str     = byteLength:int32 UTF-8 bytes
 * </pre>
 * All integers are big-endian. A frame's length is never 0, so zeros after the last frame read
 * as the end of the records (the writer preallocates space with zeros). Frames are encoded by the committing thread, so the single writer
 * thread only copies bytes; decoding is strict (exact payload length, well-formed UTF-8), so a
 * frame whose CRC matches by accident but whose content does not parse is still rejected.
 */
public final class FrameCodec {
    public static final int MAGIC = 0x5154584C;
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 16;
    /** Length and CRC fields in front of every frame body. */
    public static final int FRAME_OVERHEAD = Frames.FRAME_OVERHEAD;
    public static final byte TYPE_COMMIT = 1;
    public static final byte TYPE_END = 2;
    public static final byte TYPE_BRANCH_DONE = 3;
    /** Upper bound of type + payload; anything longer read from disk is corruption. */
    public static final int MAX_BODY_BYTES = Frames.MAX_BODY_BYTES;

    private FrameCodec() {
    }

    public static byte[] encodeCommit(CommitRecord record) {
        List<BranchRecord> branches = record.branches();
        byte[] gtrid = utf8(record.gtrid());
        byte[][] names = new byte[branches.size() * 2][];
        long body = 1 + 4L + gtrid.length + 8 + 4;
        for (int i = 0; i < branches.size(); i++) {
            names[2 * i] = utf8(branches.get(i).resourceName());
            names[2 * i + 1] = utf8(branches.get(i).branchQualifier());
            body += 8L + names[2 * i].length + names[2 * i + 1].length;
        }
        ByteBuffer frame = Frames.allocate(body, record.gtrid());
        frame.put(TYPE_COMMIT);
        putString(frame, gtrid);
        frame.putLong(record.decidedAtMillis());
        frame.putInt(branches.size());
        for (byte[] name : names) {
            putString(frame, name);
        }
        return Frames.seal(frame);
    }

    public static byte[] encodeEnd(String gtrid) {
        byte[] id = utf8(gtrid);
        ByteBuffer frame = Frames.allocate(1 + 4L + id.length, gtrid);
        frame.put(TYPE_END);
        putString(frame, id);
        return Frames.seal(frame);
    }

    public static byte[] encodeBranchDone(String gtrid, BranchRecord branch) {
        byte[] id = utf8(gtrid);
        byte[] resource = utf8(branch.resourceName());
        byte[] bqual = utf8(branch.branchQualifier());
        ByteBuffer frame = Frames.allocate(1 + 12L + id.length + resource.length + bqual.length, gtrid);
        frame.put(TYPE_BRANCH_DONE);
        putString(frame, id);
        putString(frame, resource);
        putString(frame, bqual);
        return Frames.seal(frame);
    }

    /** The header every segment file starts with. */
    public static ByteBuffer header(long segmentId) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.putInt(MAGIC).putInt(VERSION).putLong(segmentId).flip();
        return header;
    }

    /**
     * Decodes the frame starting at {@code offset} of {@code data} (whose readable bytes end at
     * {@code limit}). Returns null if there is no complete, intact, well-formed frame there.
     */
    public static LogEntry decodeFrame(ByteBuffer data, int offset, int limit, CRC32C crc) {
        ByteBuffer body = Frames.checkedBody(data, offset, limit, crc);
        if (body == null) {
            return null;
        }
        byte type = body.get();
        if (type != TYPE_COMMIT && type != TYPE_END && type != TYPE_BRANCH_DONE) {
            return null;
        }
        try {
            LogEntry entry = switch (type) {
                case TYPE_COMMIT -> decodeCommit(body);
                case TYPE_END -> new LogEntry.End(Frames.readString(body));
                default -> new LogEntry.BranchDone(Frames.readString(body), new BranchRecord(Frames.readString(body), Frames.readString(body)));
            };
            return body.hasRemaining() ? null : entry;
        } catch (BufferUnderflowException | IllegalArgumentException | CharacterCodingException e) {
            return null;
        }
    }

    private static LogEntry decodeCommit(ByteBuffer body) throws CharacterCodingException {
        String gtrid = Frames.readString(body);
        long decidedAt = body.getLong();
        int count = body.getInt();
        if (count < 0 || count > body.remaining() / 8) {
            throw new IllegalArgumentException("branch count " + count);
        }
        List<BranchRecord> branches = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            branches.add(new BranchRecord(Frames.readString(body), Frames.readString(body)));
        }
        return new LogEntry.Commit(new CommitRecord(gtrid, branches, decidedAt));
    }

    private static void putString(ByteBuffer frame, byte[] utf8) {
        frame.putInt(utf8.length).put(utf8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
