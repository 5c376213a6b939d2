package io.quorumtx.it.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One direction of one link between two members (the connections member A opens to member B),
 * through a loopback TCP proxy in the test JVM, so the nemesis can cut it without touching the
 * members: A's requests and B's replies to them both pass here.
 *
 * <p>{@link LinkFault#DROP} swallows every byte (a black hole: requests time out);
 * {@link LinkFault#STALL} holds the bytes and delivers them late, in order, when the link heals;
 * {@link LinkFault#CLOSE} resets every connection and refuses new ones. A link healed from DROP
 * resets its connections as well: bytes were lost in the middle of frames, which TCP itself never
 * does, so a member must see a broken connection, not a stream that resumes mid-frame.
 */
public final class LinkProxy implements AutoCloseable {
    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private LinkFault fault = LinkFault.NONE; // guarded by this; notifyAll on change

    public LinkProxy(String name, InetSocketAddress listen, InetSocketAddress target) throws IOException {
        this.name = name;
        this.target = target;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(listen);
        Thread accept = new Thread(this::acceptLoop, "proxy-" + name);
        accept.setDaemon(true);
        accept.start();
    }

    /** Cuts (or, with {@link LinkFault#NONE}, heals) the link. */
    public void set(LinkFault next) {
        LinkFault previous;
        synchronized (this) {
            previous = fault;
            fault = next;
            notifyAll();
        }
        if (next == LinkFault.CLOSE || (previous == LinkFault.DROP && next != LinkFault.DROP)) {
            closeAll();
        }
    }

    /** The port it listens on (the one chosen by the system when {@code listen} asked for port 0). */
    public int port() {
        return server.getLocalPort();
    }

    private synchronized LinkFault current() {
        return fault;
    }

    /** Blocks while the link is stalled; returns what to do with the bytes in hand. */
    private synchronized LinkFault awaitNotStalled() throws InterruptedException {
        while (fault == LinkFault.STALL) {
            wait();
        }
        return fault;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            LinkFault now = current();
            if (now == LinkFault.CLOSE) {
                quietly(client);
                continue;
            }
            sockets.add(client);
            Socket upstream = null;
            if (now != LinkFault.DROP) {
                try {
                    upstream = new Socket();
                    sockets.add(upstream);
                    upstream.connect(target, 2000);
                } catch (IOException e) {
                    // The member behind the link is down: so is the connection.
                    quietly(client);
                    quietly(upstream);
                    continue;
                }
            }
            pump(client, upstream, "->");
            if (upstream != null) {
                pump(upstream, client, "<-");
            }
        }
    }

    /** Copies {@code from} to {@code to} (or to nowhere) as the link's state allows, until either side closes. */
    private void pump(Socket from, Socket to, String direction) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to == null ? null : to.getOutputStream();
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    LinkFault f = awaitNotStalled();
                    if (f == LinkFault.CLOSE) {
                        break;
                    }
                    if (f == LinkFault.NONE && out != null) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException | InterruptedException e) {
                // A reset or closed side ends the connection.
            } finally {
                quietly(from);
                quietly(to);
            }
        }, "proxy-" + name + direction);
        t.setDaemon(true);
        t.start();
    }

    private void closeAll() {
        for (Socket s : sockets) {
            quietly(s);
        }
    }

    private void quietly(Socket s) {
        if (s == null) {
            return;
        }
        sockets.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // Closing is best effort: the socket is gone either way.
        }
    }

    @Override
    public void close() throws IOException {
        set(LinkFault.NONE);
        server.close();
        closeAll();
    }

    @Override
    public String toString() {
        return name;
    }
}
