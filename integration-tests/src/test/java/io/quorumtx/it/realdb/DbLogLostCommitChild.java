package io.quorumtx.it.realdb;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.quorumtx.it.support.ChildArgs;
import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.testsupport.Poll;

/**
 * The JVM whose decision branch loses its connection during its one-phase commit, then dies: a
 * manager on the database commit log (in the first bank's database, carried by that bank's
 * branch) whose connections to that bank pass through a TCP proxy in this JVM. At the
 * {@code hit}-th {@link CrashPoint#BEFORE_DECISION_BRANCH_COMMIT} the proxy starts losing bytes:
 * <ul>
 *   <li>{@code lose=REPLY}: the COMMIT reaches the server and commits (the row with it), the answer
 *       is swallowed; once the row is seen committed on a direct connection, the JVM halts
 *       ({@code CRASH LOST_COMMIT_REPLY gtrid});</li>
 *   <li>{@code lose=REQUEST}: the COMMIT is swallowed before the server; once the driver has sent
 *       it, the JVM halts ({@code CRASH LOST_COMMIT_REQUEST gtrid}) and the server, seeing the
 *       connection close, rolls the branch back with its row.</li>
 * </ul>
 * The log's own pool is direct (not through the proxy). Speaks the line protocol of
 * {@link RealDbCrashChild}. Arguments, {@code key=value}: topology (a server), style, node,
 * tables, accounts, prefix, lease (ms), lose, hit.
 */
public final class DbLogLostCommitChild {
    private DbLogLostCommitChild() {
    }

    enum Lose { REPLY, REQUEST }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = ChildArgs.parse(args);
        DbLogTopology topology = DbLogTopology.valueOf(a.get("topology"));
        WrappingStyle style = WrappingStyle.valueOf(a.get("style"));
        Lose lose = Lose.valueOf(a.get("lose"));
        int hit = Integer.parseInt(a.get("hit"));
        String prefix = a.get("prefix");
        List<Bank> direct = topology.open(null, Integer.parseInt(a.get("accounts")),
                Arrays.asList(a.get("tables").split(",")));
        ServerBank carrier = (ServerBank) direct.get(0);
        try (CuttableProxy proxy = new CuttableProxy(serverAddress(carrier.url()))) {
            List<Bank> banks = new ArrayList<>(direct);
            banks.set(0, carrier.via(proxy.port()));
            List<AutoCloseable> pools = new ArrayList<>();
            DatabaseCommitLog log = DbLogTopology.log(carrier, prefix, Duration.ofMillis(Long.parseLong(a.get("lease"))),
                    pools);
            AtomicInteger hits = new AtomicInteger();
            CrashInjector injector = (point, gtrid) -> {
                if (point == CrashPoint.BEFORE_DECISION_BRANCH_COMMIT && hits.incrementAndGet() == hit) {
                    proxy.cut(lose);
                    Thread watcher = new Thread(() -> haltOnceLost(lose, proxy, carrier, prefix, gtrid), "lost-commit");
                    watcher.setDaemon(true);
                    watcher.start();
                }
            };
            try (RealDbCluster c = RealDbCluster.attach(banks, a.get("node"), null, style, 2,
                    b -> b.commitLog(log).crashInjector(injector))) {
                RealDbCrashChild.emit("READY");
                for (int n = 1; n <= 1_000; n++) {
                    RealDbCrashChild.transfer(c, n);
                }
                RealDbCrashChild.emit("DONE");
            }
        }
        System.exit(0);
    }

    /** Halts the JVM once the loss has happened: the reply swallowed after the row committed, or the request swallowed. */
    private static void haltOnceLost(Lose lose, CuttableProxy proxy, ServerBank carrier, String prefix,
            String gtrid) {
        try {
            Poll.until("the " + lose + " of " + gtrid + " is lost", Duration.ofSeconds(60),
                    () -> lose == Lose.REQUEST ? proxy.swallowedRequestBytes() > 0
                            : proxy.swallowedReplyBytes() > 0 && "C".equals(decision(carrier, prefix, gtrid)));
            RealDbCrashChild.emit("CRASH LOST_COMMIT_" + lose + " " + gtrid);
            Runtime.getRuntime().halt(RealDbCrashChild.CRASH_EXIT);
        } catch (Exception e) { // the deadline passed (ConditionTimeoutException) or the check failed
            RealDbCrashChild.emit("NOLOSS " + gtrid + " " + e);
        }
        Runtime.getRuntime().halt(1);
    }

    /** The committed decision row of {@code gtrid}, read on a direct connection, or null. */
    static String decision(Bank carrier, String prefix, String gtrid) throws Exception {
        if (!prefix.matches("[A-Za-z0-9_]{1,40}")) {
            throw new IllegalArgumentException("not a table prefix: " + prefix);
        }
        try (Connection c = carrier.plainDataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT decision FROM " + prefix + "_decisions WHERE gtrid = ?")) {
            ps.setString(1, gtrid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static InetSocketAddress serverAddress(String url) {
        Matcher m = Pattern.compile("//([^/:]+):([0-9]+)/").matcher(url);
        if (!m.find()) {
            throw new IllegalArgumentException("no host:port in " + url);
        }
        return new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
    }

    /** A loopback TCP proxy that forwards both ways until told to lose the requests or the replies. */
    static final class CuttableProxy implements AutoCloseable {
        private final InetSocketAddress target;
        private final ServerSocket server;
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        private final AtomicLong swallowedRequest = new AtomicLong();
        private final AtomicLong swallowedReply = new AtomicLong();
        private volatile Lose lose;

        CuttableProxy(InetSocketAddress target) throws IOException {
            this.target = target;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread accept = new Thread(this::acceptLoop, "proxy-accept");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void cut(Lose what) {
            lose = what;
        }

        long swallowedRequestBytes() {
            return swallowedRequest.get();
        }

        long swallowedReplyBytes() {
            return swallowedReply.get();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket upstream = new Socket(target.getAddress(), target.getPort());
                    client.setTcpNoDelay(true);
                    upstream.setTcpNoDelay(true);
                    sockets.add(client);
                    sockets.add(upstream);
                    pump(client.getInputStream(), upstream.getOutputStream(), true);
                    pump(upstream.getInputStream(), client.getOutputStream(), false);
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private void pump(InputStream in, OutputStream out, boolean request) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                try {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        Lose now = lose;
                        if (now == null) {
                            out.write(buffer, 0, n);
                            out.flush();
                        } else if (request && now == Lose.REPLY) {
                            out.write(buffer, 0, n); // the request goes through; its answer will not
                            out.flush();
                        } else if (request) {
                            swallowedRequest.addAndGet(n);
                        } else {
                            swallowedReply.addAndGet(n);
                        }
                    }
                } catch (IOException e) {
                    // a side closed: so does the JVM shortly
                }
            }, request ? "proxy-request" : "proxy-reply");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
