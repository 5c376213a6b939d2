package io.quorumtx.it.faults;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The members' network: every member reaches every other one through its own {@link LinkProxy},
 * one per ordered pair, so a member can be cut off from the others while all run on one machine.
 *
 * <p>The members' list must be the same text on every member (its digest is checked on every
 * message), so the proxies cannot be given as different addresses. Instead every member is listed
 * by a host name ({@code qtx-n1:port}) that each member JVM resolves through a hosts file of its
 * own ({@code -Djdk.net.hosts.file}): member i binds its own name at {@code 127.0.1.i}, and resolves
 * member j's name to {@code 127.0.(10+i).j}, where the proxy of link i→j listens on j's port and
 * forwards to {@code 127.0.1.j}. Linux routes all of 127/8 to the loopback device.
 */
final class ProxiedNetwork implements AutoCloseable {
    private final int size;
    private final List<Integer> ports = new ArrayList<>();
    private final Map<String, LinkProxy> links = new LinkedHashMap<>(); // "i>j"

    ProxiedNetwork(int size) throws IOException {
        this.size = size;
        try {
            for (int j = 1; j <= size; j++) {
                try (ServerSocket probe = new ServerSocket()) {
                    probe.bind(new InetSocketAddress(own(j), 0));
                    ports.add(probe.getLocalPort());
                }
            }
            for (int i = 1; i <= size; i++) {
                for (int j = 1; j <= size; j++) {
                    if (i != j) {
                        int port = ports.get(j - 1);
                        links.put(i + ">" + j, new LinkProxy("n" + i + ">n" + j,
                                new InetSocketAddress(seenFrom(i, j), port), new InetSocketAddress(own(j), port)));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The member list every member is given: {@code nodeId=qtx-nJ:port}. */
    List<String> members(List<String> nodeIds) {
        List<String> members = new ArrayList<>();
        for (int j = 1; j <= size; j++) {
            members.add(nodeIds.get(j - 1) + "=" + host(j) + ":" + ports.get(j - 1));
        }
        return members;
    }

    /** Writes member i's hosts file into {@code dir} and returns the JVM option that makes it the resolver. */
    String hostsFileOption(int i, Path dir) throws IOException {
        StringBuilder text = new StringBuilder("127.0.0.1 localhost");
        try {
            text.append(' ').append(InetAddress.getLocalHost().getHostName()); // for drivers that ask
        } catch (IOException e) {
            // A machine without a resolvable host name: nobody can ask for it then.
        }
        text.append('\n');
        for (int j = 1; j <= size; j++) {
            text.append(i == j ? own(j) : seenFrom(i, j)).append(' ').append(host(j)).append('\n');
        }
        Path file = dir.resolve("hosts-n" + i);
        Files.writeString(file, text);
        return "-Djdk.net.hosts.file=" + file.toAbsolutePath();
    }

    /** Cuts member i off from all the others, both ways, with {@code fault}; {@link LinkFault#NONE} heals. */
    @SuppressWarnings("StringSplitter") // keys are "from>to" built by this class; no empty parts possible
    void isolate(int i, LinkFault fault) {
        links.forEach((key, link) -> {
            String[] ends = key.split(">");
            if (Integer.parseInt(ends[0]) == i || Integer.parseInt(ends[1]) == i) {
                link.set(fault);
            }
        });
    }

    /** Cuts (or with {@link LinkFault#NONE} heals) the link between members i and j, both ways. */
    void cut(int i, int j, LinkFault fault) {
        links.get(i + ">" + j).set(fault);
        links.get(j + ">" + i).set(fault);
    }

    void healAll() {
        links.values().forEach(l -> l.set(LinkFault.NONE));
    }

    private static String host(int j) {
        return "qtx-n" + j;
    }

    private static String own(int j) {
        return "127.0.1." + j;
    }

    private static String seenFrom(int i, int j) {
        return "127.0." + (10 + i) + "." + j;
    }

    @Override
    public void close() {
        for (LinkProxy l : links.values()) {
            try {
                l.close();
            } catch (IOException e) {
                // Closing the test's proxies is best effort: the JVM ends soon anyway.
            }
        }
    }
}
