package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.quorumtx.tm.fuzz.FuzzSupport;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzzes the established phase of a server connection: {@link FrameChannel#read} in a loop, each
 * envelope then decoded by {@link PaxosWire} as {@code TransportServer} does.
 *
 * <p>The first input byte picks the mode: bit 0 a session with frame MACs (the shared-secret mode;
 * otherwise TLS, no MAC), bit 1 (with bit 0) the harness computes each frame's tag itself, so the
 * fuzzer (which cannot forge an HMAC) reaches the sequence check and the envelope decoder; the
 * rest is the byte stream, in that case with frames {@code length:int32 sequence:int64 envelope}
 * and no tag.
 *
 * <p>Properties: the reader returns exactly the frames an independent reading of the format
 * accepts (length in bounds, sequence number 0, 1, 2, ..., a valid tag), in order, and stops at the
 * first other one with {@link FrameChannel.RefusedFrame} or end of stream, never an unchecked
 * exception; every envelope it returns decodes or is a {@link PaxosWire.MalformedMessageException}.
 */
class FrameChannelFuzzTest {
    static final SecretKey KEY = new SecretKeySpec("fuzz-test-session-key-0123456789".getBytes(StandardCharsets.US_ASCII),
            "HmacSHA256");
    private static final int TAG = FrameChannel.TAG_BYTES;

    @FuzzTest
    void frames(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        boolean macs = (input[0] & 1) != 0;
        boolean sign = macs && (input[0] & 2) != 0;
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        byte[] stream = sign ? sign(rest) : rest;
        List<byte[]> expected = expectedFrames(stream, macs);

        FrameChannel channel = new FrameChannel(new FuzzSocket(stream), new Session("n1", macs ? KEY : null), false);
        List<byte[]> read = new ArrayList<>();
        while (true) {
            try {
                read.add(channel.read());
            } catch (FrameChannel.RefusedFrame refused) {
                assertThat(refused.getMessage()).isNotBlank();
                break;
            } catch (EOFException end) {
                break;
            }
            if (read.size() > expected.size()) {
                break;
            }
        }
        assertThat(read).as("frames accepted").hasSameSizeAs(expected);
        for (int i = 0; i < read.size(); i++) {
            assertThat(read.get(i)).as("frame %d", i).isEqualTo(expected.get(i));
            try {
                PaxosWire.decode(ByteBuffer.wrap(read.get(i)));
            } catch (PaxosWire.MalformedMessageException e) {
                assertThat(e.getMessage()).isNotBlank();
            }
        }
    }

    /** The envelopes a correct reader accepts from {@code stream}, read straight from the format. */
    static List<byte[]> expectedFrames(byte[] stream, boolean macs) {
        ByteBuffer in = ByteBuffer.wrap(stream);
        int tag = macs ? TAG : 0;
        List<byte[]> frames = new ArrayList<>();
        while (in.remaining() >= 4) {
            int length = in.getInt();
            if (length < 8 + 1 + tag || length > 8 + PaxosWire.MAX_ENVELOPE_BYTES + tag || in.remaining() < length) {
                break;
            }
            long sequence = in.getLong();
            byte[] envelope = new byte[length - 8 - tag];
            in.get(envelope);
            if (macs) {
                byte[] t = new byte[TAG];
                in.get(t);
                if (!MessageDigest.isEqual(t, tag(sequence, envelope))) {
                    break;
                }
            }
            if (sequence != frames.size()) {
                break;
            }
            frames.add(envelope);
        }
        return frames;
    }

    /** {@code length sequence envelope} frames (the rest copied as it is), each with its tag appended. */
    static byte[] sign(byte[] unsigned) {
        ByteBuffer in = ByteBuffer.wrap(unsigned);
        ByteArrayOutputStream out = new ByteArrayOutputStream(unsigned.length + 64);
        while (in.remaining() >= 12) {
            int length = in.getInt(in.position());
            int envelope = length - 8 - TAG;
            if (envelope < 1 || envelope > PaxosWire.MAX_ENVELOPE_BYTES || in.remaining() < 12 + envelope) {
                break;
            }
            in.getInt();
            long sequence = in.getLong();
            byte[] body = new byte[envelope];
            in.get(body);
            out.writeBytes(ByteBuffer.allocate(12).putInt(length).putLong(sequence).array());
            out.writeBytes(body);
            out.writeBytes(tag(sequence, body));
        }
        out.write(unsigned, in.position(), in.remaining());
        return out.toByteArray();
    }

    private static byte[] tag(long sequence, byte[] envelope) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(KEY);
            mac.update((byte) 'C');
            mac.update(ByteBuffer.allocate(8).putLong(sequence).array());
            return mac.doFinal(envelope);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client's frames of every message kind: as sent (MACs), over TLS (none), and untagged for mode 3. */
    static Map<String, byte[]> seeds() throws IOException {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        List<byte[]> envelopes = new ArrayList<>(PaxosWireFuzzTest.sampleEnvelopes().values());
        seeds.put("mac-all-kinds", FuzzSupport.withMode(1, clientFrames(envelopes, KEY)));
        seeds.put("tls-all-kinds", FuzzSupport.withMode(0, clientFrames(envelopes, null)));
        ByteArrayOutputStream unsigned = new ByteArrayOutputStream();
        long sequence = 0;
        for (byte[] e : envelopes) {
            unsigned.writeBytes(ByteBuffer.allocate(12).putInt(8 + e.length + TAG).putLong(sequence++).array());
            unsigned.writeBytes(e);
        }
        seeds.put("signed-by-harness-all-kinds", FuzzSupport.withMode(3, unsigned.toByteArray()));
        byte[] one = clientFrames(envelopes.subList(0, 1), KEY);
        seeds.put("mac-replayed-frame", FuzzSupport.withMode(1, concat(one, one)));
        byte[] huge = ByteBuffer.allocate(12).putInt(Integer.MAX_VALUE).putLong(0).array();
        seeds.put("huge-length", FuzzSupport.withMode(1, huge));
        return seeds;
    }

    private static byte[] clientFrames(List<byte[]> envelopes, SecretKey key) throws IOException {
        FuzzSocket socket = new FuzzSocket(new byte[0]);
        FrameChannel client = new FrameChannel(socket, new Session("n2", key), true);
        for (byte[] e : envelopes) {
            client.write(e);
        }
        return socket.written();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzSupport.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        FuzzSupport.writeSeeds(FrameChannelFuzzTest.class, "frames", seeds());
    }
}
