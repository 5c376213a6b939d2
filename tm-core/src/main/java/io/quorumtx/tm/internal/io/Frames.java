package io.quorumtx.tm.internal.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The checksummed frame both of QuorumTX's files are made of, the local commit log's segments
 * ({@code log.internal.FrameCodec}) and the Paxos acceptor's log ({@code paxos.AcceptorRecords}):
 *
 * <pre>
 * frame = length:int32 crc:int32 type:int8 payload     (length = 1 + payload bytes)
 *         crc = CRC-32C over type and payload
 * str   = byteLength:int32 UTF-8 bytes
 * </pre>
 * All integers are big-endian. Each file format names its own types and payloads on top.
 */
public final class Frames {
    /** Length and CRC fields in front of every frame body. */
    public static final int FRAME_OVERHEAD = 8;
    /** Upper bound of type + payload; anything longer read from disk is corruption. */
    public static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private Frames() {
    }

    /** A frame: {@code type} then {@code payload}, with length and CRC-32C in front. */
    public static byte[] frame(byte type, byte[] payload) {
        ByteBuffer frame = allocate(1L + payload.length, "(type " + type + ")");
        frame.put(type).put(payload);
        return seal(frame);
    }

    /**
     * The body (type byte, then payload) of the intact frame at {@code offset}, checked for length
     * and CRC-32C but not parsed; null if there is no complete, intact frame there.
     */
    public static ByteBuffer checkedBody(ByteBuffer data, int offset, int limit, CRC32C crc) {
        if (limit - offset < FRAME_OVERHEAD + 1) {
            return null;
        }
        int length = data.getInt(offset);
        if (length < 1 || length > MAX_BODY_BYTES || length > limit - offset - FRAME_OVERHEAD) {
            return null;
        }
        ByteBuffer body = data.duplicate();
        body.limit(offset + FRAME_OVERHEAD + length).position(offset + FRAME_OVERHEAD);
        crc.reset();
        crc.update(body.duplicate());
        if ((int) crc.getValue() != data.getInt(offset + 4)) {
            return null;
        }
        return body.slice();
    }

    /** Reads a {@code str} field (length-prefixed strict UTF-8). */
    public static String readString(ByteBuffer body) throws CharacterCodingException {
        int length = body.getInt();
        if (length < 0 || length > body.remaining()) {
            throw new IllegalArgumentException("string length " + length);
        }
        ByteBuffer bytes = body.slice().limit(length);
        body.position(body.position() + length);
        CharBuffer chars = StandardCharsets.UTF_8.newDecoder().decode(bytes);
        return chars.toString();
    }

    /** A frame buffer for a body of {@code body} bytes, length written, CRC left for {@link #seal}. */
    public static ByteBuffer allocate(long body, String gtrid) {
        if (body > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("Commit record for gtrid " + gtrid + " needs " + body
                    + " bytes; a log record may hold at most " + MAX_BODY_BYTES + " bytes");
        }
        ByteBuffer frame = ByteBuffer.allocate(FRAME_OVERHEAD + (int) body);
        frame.putInt((int) body).putInt(0);
        return frame;
    }

    /** Writes the CRC-32C of the body into {@code frame} and returns its bytes. */
    @SuppressWarnings("ByteBufferBackingArray") // every frame is a heap buffer allocate() made whole (offset 0)
    public static byte[] seal(ByteBuffer frame) {
        CRC32C crc = new CRC32C();
        crc.update(frame.array(), FRAME_OVERHEAD, frame.capacity() - FRAME_OVERHEAD);
        frame.putInt(4, (int) crc.getValue());
        return frame.array();
    }
}
