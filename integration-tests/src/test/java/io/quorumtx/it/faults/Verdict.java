package io.quorumtx.it.faults;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.quorumtx.it.faults.Transfers.Outcome;
import io.quorumtx.it.realdb.Bank;

/**
 * The campaign's judgement, from the databases themselves (their journals of transfers, their
 * balances, their prepared branches) against what the members told their callers.
 *
 * @param violations every broken promise, one line each, naming the transfer's gtrid
 * @param summary    the transfers counted by outcome, and how many both databases kept
 */
record Verdict(List<String> violations, String summary) {

    /** What the databases kept, read around the transaction manager. */
    record Databases(List<String> names, List<Set<String>> journals, long total, long initialTotal,
                     Set<String> prepared) {

        static Databases read(List<Bank> banks, List<String> nodeIds) throws Exception {
            long total = 0;
            long initial = 0;
            List<Set<String>> journals = new ArrayList<>();
            for (Bank b : banks) {
                total += b.total();
                initial += b.initialTotal();
                journals.add(b.journal());
            }
            return new Databases(banks.stream().map(Bank::name).toList(), journals, total, initial,
                    FaultCampaignTest.prepared(banks, nodeIds));
        }
    }

    static Verdict of(Databases db, Transfers transfers) {
        List<String> violations = new ArrayList<>();
        for (String p : new TreeSet<>(db.prepared())) {
            violations.add("still prepared after recovery: " + p);
        }
        if (db.total() != db.initialTotal()) {
            violations.add("money not conserved: " + db.total() + " in all accounts, " + db.initialTotal()
                    + " at the start");
        }
        Set<String> inAll = new HashSet<>(db.journals().get(0));
        Set<String> inAny = new HashSet<>();
        for (Set<String> j : db.journals()) {
            inAll.retainAll(j);
            inAny.addAll(j);
        }
        for (String gtrid : new TreeSet<>(inAny)) {
            if (!inAll.contains(gtrid)) {
                violations.add("in " + where(db, gtrid) + " only: " + gtrid + " (commit() reported "
                        + transfers.outcomes().getOrDefault(gtrid, Outcome.UNKNOWN) + ")");
            }
        }
        for (Map.Entry<String, Outcome> e : new TreeMap<>(transfers.outcomes()).entrySet()) {
            if (e.getValue() == Outcome.COMMITTED && !inAll.contains(e.getKey())) {
                violations.add("commit() returned but the transfer is not in every database: " + e.getKey());
            } else if (e.getValue() == Outcome.ROLLED_BACK && inAny.contains(e.getKey())) {
                violations.add("commit() threw RollbackException but the transfer is in " + where(db, e.getKey())
                        + ": " + e.getKey());
            }
        }
        String summary = String.format("  transfers: attempted=%d acknowledged (commit returned)=%d"
                + " reported rolled back=%d unknown (exception or killed)=%d committed (in both databases)=%d",
                transfers.outcomes().size(), transfers.count(Outcome.COMMITTED), transfers.count(Outcome.ROLLED_BACK),
                transfers.count(Outcome.UNKNOWN), inAll.size());
        return new Verdict(List.copyOf(violations), summary);
    }

    private static String where(Databases db, String gtrid) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < db.names().size(); i++) {
            if (db.journals().get(i).contains(gtrid)) {
                names.add(db.names().get(i));
            }
        }
        return String.join(" and ", names);
    }
}
