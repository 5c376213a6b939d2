package io.quorumtx.it.faults;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the members said of their transfers, read from the transfer lines of every incarnation
 * ({@code TX <n> <gtrid>}, then {@code OK <n> .} or {@code FAIL <n> <error>}, see
 * {@code PaxosNodeChild}): each gtrid with the outcome its {@code commit()} reported.
 */
record Transfers(Map<String, Outcome> outcomes) {

    /** What {@code commit()} told the application. */
    enum Outcome {
        /** Returned normally: the transfer must be in both databases. */
        COMMITTED,
        /** Threw RollbackException: the transfer must be in neither. */
        ROLLED_BACK,
        /** Threw anything else, or the member died first: either, but the same in both. */
        UNKNOWN
    }

    static Transfers of(List<NodeProcess> nodes) {
        return parse(nodes.stream().flatMap(n -> n.transferLines().stream()).toList());
    }

    /** From the lines of each incarnation (transfer numbers restart with each). */
    static Transfers parse(List<List<String>> incarnations) {
        Map<String, Outcome> outcomes = new HashMap<>();
        for (List<String> incarnation : incarnations) {
            Map<String, String> gtridOf = new HashMap<>();
            for (String line : incarnation) {
                String[] f = line.split(" ", 3);
                if (f.length < 3) {
                    continue; // READY, STOPPED, or a line cut short by a kill
                }
                switch (f[0]) {
                    case "TX" -> {
                        gtridOf.put(f[1], f[2]);
                        outcomes.put(f[2], Outcome.UNKNOWN);
                    }
                    case "OK" -> {
                        if (f[2].equals(".") && gtridOf.containsKey(f[1])) {
                            outcomes.put(gtridOf.get(f[1]), Outcome.COMMITTED);
                        }
                    }
                    case "FAIL" -> {
                        if (f[2].startsWith("jakarta.transaction.RollbackException") && gtridOf.containsKey(f[1])) {
                            outcomes.put(gtridOf.get(f[1]), Outcome.ROLLED_BACK);
                        }
                    }
                    default -> { }
                }
            }
        }
        return new Transfers(Map.copyOf(outcomes));
    }

    long count(Outcome outcome) {
        return outcomes.values().stream().filter(o -> o == outcome).count();
    }
}
