package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.quorumtx.tm.fuzz.FuzzSupport;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzzes the server side of the shared-secret handshake ({@link HmacChallenge#authenticateAsServer}),
 * what anyone who reaches a member's port can send before being authenticated.
 *
 * <p>Properties: the server never authenticates a client that does not know the secret (the
 * fuzzer does not); it refuses with {@link ConnectionSecurity.Refused} or an {@link IOException}
 * that says why (never an unchecked exception, never a message-less exception); it reads at most
 * two bounded handshake messages ({@value HmacChallenge#MAX_HANDSHAKE_BYTES} bytes each, plus
 * their length fields) whatever it is sent; and it writes nothing but, at most, its one answer.
 */
class HandshakeFuzzTest {
    static final byte[] SECRET = "fuzz-test-shared-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
    static final byte[] NEXT_SECRET = "fuzz-test-next-secret-9876543210".getBytes(StandardCharsets.US_ASCII);
    static final Map<String, InetSocketAddress> MEMBERS = ClusterConfig.parseMembers(
            List.of("n1=127.0.0.1:7801", "n2=127.0.0.1:7802", "n3=127.0.0.1:7803"));
    private static final HmacChallenge SERVER = new HmacChallenge(
            new ClusterConfig("n2", MEMBERS, SECRET).withRotationSecret(NEXT_SECRET));
    private static final int MOST_READ = 2 * (2 + HmacChallenge.MAX_HANDSHAKE_BYTES);
    private static final int ANSWER_BYTES = 2 + 32 + 32;

    @FuzzTest
    void serverHandshake(byte[] input) {
        FuzzSocket socket = new FuzzSocket(input);
        try {
            Session session = SERVER.authenticateAsServer(socket);
            throw new AssertionError("a client without the secret was authenticated as " + session);
        } catch (ConnectionSecurity.Refused refused) {
            assertThat(refused.getMessage()).isNotBlank();
        } catch (IOException e) {
            assertThat(e).isInstanceOf(EOFException.class); // a byte array fails no other way
            assertThat(e.getMessage()).as("the reason of %s", e).isNotBlank();
        }
        assertThat(socket.consumed()).isLessThanOrEqualTo(MOST_READ);
        int written = socket.written().length;
        assertThat(written).as("bytes the server wrote").isIn(0, ANSWER_BYTES);
    }

    /** What a client sends first: its hello (captured from a real client), and the hello with a proof. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        byte[] member = hello(new ClusterConfig("n1", MEMBERS, SECRET), "n2");
        byte[] rotated = hello(new ClusterConfig("n3", MEMBERS, NEXT_SECRET), "n2");
        byte[] tool = hello(new ClusterConfig(ClusterConfig.TOOL_PREFIX + "fuzz", MEMBERS, SECRET), "n2");
        seeds.put("hello-member", member);
        seeds.put("hello-rotation-secret", rotated);
        seeds.put("hello-tool", tool);
        seeds.put("hello-other-node", hello(new ClusterConfig("n1", MEMBERS, SECRET), "n3"));
        byte[] proof = new byte[2 + 32];
        proof[1] = 32;
        Arrays.fill(proof, 2, proof.length, (byte) 0x5a);
        seeds.put("hello-and-proof", concat(member, proof));
        seeds.put("hello-and-short-proof", concat(member, Arrays.copyOf(proof, 20)));
        seeds.put("hello-and-long-proof", concat(member, new byte[] {1, 0, 7, 7, 7}));
        seeds.put("hello-cut", Arrays.copyOf(member, member.length - 7));
        return seeds;
    }

    /** A handshake cut inside its first message crashed the target (an EOFException without a message). */
    static final byte[] CRASH_EOF_WITHOUT_MESSAGE = Base64.getDecoder().decode(
            "ADOpNlZWwOUCbjECbjKDDYRJATwOS49Z3SZE6nmDF0X9jMZBdPNqZC5bAAAAAAAAAAAAAA==");

    private static byte[] hello(ClusterConfig client, String server) {
        FuzzSocket socket = new FuzzSocket(new byte[0]);
        try {
            new HmacChallenge(client).authenticateAsClient(socket, server);
            throw new AssertionError("a server that sent nothing was authenticated");
        } catch (EOFException expected) {
            return socket.written();
        } catch (IOException | ConnectionSecurity.Refused e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzSupport.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        Map<String, byte[]> seeds = seeds();
        FuzzSupport.writeSeeds(HandshakeFuzzTest.class, "serverHandshake", seeds);
        FuzzSupport.writeRegression(HandshakeFuzzTest.class, "serverHandshake", "eof-inside-first-message",
                CRASH_EOF_WITHOUT_MESSAGE);
    }
}
