package io.quorumtx.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A producer JVM of the messaging kill test ({@link MessagingBenchmark}), killed by its parent at a
 * random moment. It first recovers what the previous producer left in doubt (same node id, same
 * log), prints {@code READY}, then runs transfers one after the other until killed, each sending
 * one message whose payload is the transfer's id, in the way {@code mode} names:
 *
 * <ul>
 *   <li>{@code outbox}: {@code outbox.send} inside the transaction (the parent's relay publishes);</li>
 *   <li>{@code after-commit}: commit, then publish straight to the broker (a kill in between loses it);</li>
 *   <li>{@code before-commit}: publish, then commit (a kill in between invents it: the transaction
 *       never commits, and recovery rolls back what was prepared);</li>
 *   <li>{@code recover}: only the recovery, then {@code DONE} and exit.</li>
 * </ul>
 *
 * Arguments: {@code mode broker name nodeId logDirectory round databaseA,databaseB accounts}.
 */
public final class MessagingKillChild {
    private MessagingKillChild() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> m = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            m.put(a.substring(0, eq), a.substring(eq + 1));
        }
        String mode = m.get("mode");
        MessageBroker broker = MessageBroker.byName(m.get("broker"));
        String name = m.get("name");
        DatabaseNames names = DatabaseNames.parse(m.get("databases"));
        int accounts = Integer.parseInt(m.get("accounts"));
        if (mode.equals("recover")) {
            try (MessagingBank bank = new MessagingBank(names, m.get("node"), Path.of(m.get("log")), 2)) {
                bank.tm.recover();
            }
            System.out.println("DONE");
            System.out.flush();
            System.exit(0);
        }
        try (MessagingBank bank = new MessagingBank(names, m.get("node"), Path.of(m.get("log")), 2)) {
            bank.tm.recover();
            try (MessageBroker.DirectPublisher direct = mode.equals("outbox") ? null : broker.directPublisher(name)) {
                System.out.println("READY");
                System.out.flush();
                String destination = broker.destination(name);
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (long n = 1;; n++) {
                    String id = "r" + m.get("round") + "-" + n;
                    byte[] payload = id.getBytes(StandardCharsets.UTF_8);
                    int from = 1 + random.nextInt(accounts);
                    int to = 1 + random.nextInt(accounts);
                    switch (mode) {
                        case "outbox" -> bank.transfer(id, from, to,
                                () -> bank.outbox.send(destination, "acct-" + from, payload, Map.of()));
                        case "after-commit" -> {
                            bank.transfer(id, from, to, () -> { });
                            direct.publish(id, payload);
                        }
                        case "before-commit" -> bank.transfer(id, from, to, () -> direct.publish(id, payload));
                        default -> throw new IllegalArgumentException("unknown mode " + mode);
                    }
                }
            }
        }
    }
}
