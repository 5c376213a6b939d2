package io.quorumtx.tm.paxos;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A socket without a network for the fuzz tests: it reads the given bytes (then end of stream)
 * and records what is written, so a connection's reader can be fed hostile bytes thousands of
 * times a second.
 */
final class FuzzSocket extends Socket {
    private final ByteArrayInputStream in;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final int length;

    FuzzSocket(byte[] input) {
        this.in = new ByteArrayInputStream(input);
        this.length = input.length;
    }

    @Override
    public InputStream getInputStream() {
        return in;
    }

    @Override
    public OutputStream getOutputStream() {
        return out;
    }

    /** How many of the input bytes were read. */
    int consumed() {
        return length - in.available();
    }

    byte[] written() {
        return out.toByteArray();
    }
}
