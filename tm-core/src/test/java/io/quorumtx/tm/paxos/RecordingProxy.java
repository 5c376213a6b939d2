package io.quorumtx.tm.paxos;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A man in the middle on loopback for replay tests: forwards each connection to {@code target},
 * records every frame in each direction (handshake messages and established frames, each with
 * its length prefix, exactly as on the wire), and can inject recorded bytes into a live
 * connection. {@link #security} routes a transport's connections through it.
 */
final class RecordingProxy implements AutoCloseable {

    /** One proxied connection. */
    static final class Pipe {
        final List<byte[]> toServer = new CopyOnWriteArrayList<>();
        final List<byte[]> toClient = new CopyOnWriteArrayList<>();
        final Socket client;
        final Socket server;
        volatile boolean serverClosed;
        volatile boolean clientClosed;

        Pipe(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void injectToServer(byte[] frame) throws IOException {
            write(server.getOutputStream(), frame);
        }

        void injectToClient(byte[] frame) throws IOException {
            write(client.getOutputStream(), frame);
        }

        /** Established frames only (after {@code handshakeMessages} handshake messages). */
        List<byte[]> frames(List<byte[]> all, int handshakeMessages) {
            return all.subList(handshakeMessages, all.size());
        }

        private static void write(OutputStream out, byte[] frame) throws IOException {
            synchronized (out) {
                out.write(frame);
                out.flush();
            }
        }
    }

    private final ServerSocket listener;
    private final InetSocketAddress target;
    final List<Pipe> pipes = new CopyOnWriteArrayList<>();

    RecordingProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "recording-proxy");
        t.setDaemon(true);
        t.start();
    }

    Pipe latest() {
        return pipes.get(pipes.size() - 1);
    }

    /** {@code delegate}, except that its client connections go through this proxy. */
    @SuppressWarnings("AddressSelection") // a literal IPv4 loopback address; no name resolution happens
    ConnectionSecurity security(ConnectionSecurity delegate) {
        InetSocketAddress self = new InetSocketAddress("127.0.0.1", listener.getLocalPort());
        return new ConnectionSecurity() {
            @Override
            public ServerSocket openServerSocket(InetSocketAddress address) throws IOException {
                return delegate.openServerSocket(address);
            }

            @Override
            public Socket connect(InetSocketAddress address, Duration timeout) throws IOException {
                return delegate.connect(self, timeout);
            }

            @Override
            public Session authenticateAsClient(Socket socket, String serverId) throws IOException, Refused {
                return delegate.authenticateAsClient(socket, serverId);
            }

            @Override
            public Session authenticateAsServer(Socket socket) throws IOException, Refused {
                return delegate.authenticateAsServer(socket);
            }
        };
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(target.getHostString(), target.getPort());
                Pipe p = new Pipe(client, server);
                pipes.add(p);
                pump(client, server, p.toServer, 2, () -> p.clientClosed = true);
                pump(server, client, p.toClient, 1, () -> p.serverClosed = true);
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Copies whole messages from {@code from} to {@code to}: first handshake messages (uint16 length), then frames (int32). */
    private static void pump(Socket from, Socket to, List<byte[]> record, int handshakeMessages, Runnable onEof) {
        Thread t = new Thread(() -> {
            try {
                DataInputStream in = new DataInputStream(from.getInputStream());
                OutputStream out = to.getOutputStream();
                for (int n = 0; ; n++) {
                    byte[] message;
                    if (n < handshakeMessages) {
                        int length = in.readUnsignedShort();
                        message = new byte[2 + length];
                        message[0] = (byte) (length >>> 8);
                        message[1] = (byte) length;
                        in.readFully(message, 2, length);
                    } else {
                        int length = in.readInt();
                        message = new byte[4 + length];
                        java.nio.ByteBuffer.wrap(message).putInt(length);
                        in.readFully(message, 4, length);
                    }
                    record.add(message);
                    Pipe.write(out, message);
                }
            } catch (IOException e) {
                onEof.run();
                TcpTransport.closeQuietly(to);
                TcpTransport.closeQuietly(from);
            }
        }, "recording-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Pipe p : pipes) {
            TcpTransport.closeQuietly(p.client);
            TcpTransport.closeQuietly(p.server);
        }
    }
}
