package io.quorumtx.it.faults;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.quorumtx.it.faults.Transfers.Outcome;
import io.quorumtx.it.realdb.Bank;

/**
 * The campaign's judgement, from the databases themselves (their journals of transfers, their
 * balances, their prepared branches) against what the members told their callers.
 *
 * @param violations every broken promise, one line each, naming the transfer's gtrid
 */
record Verdict(List<String> violations, String summary) {

    static Verdict of(List<Bank> banks, List<String> nodeIds, Transfers transfers) throws Exception {
        List<String> violations = new ArrayList<>();
        for (String p : new TreeSet<>(FaultCampaignTest.prepared(banks, nodeIds))) {
            violations.add("still prepared after recovery: " + p);
        }
        long total = 0;
        long initial = 0;
        List<Set<String>> journals = new ArrayList<>();
        for (Bank b : banks) {
            total += b.total();
            initial += b.initialTotal();
            journals.add(b.journal());
        }
        if (total != initial) {
            violations.add("money not conserved: " + total + " in all accounts, " + initial + " at the start");
        }
        Set<String> inAll = new HashSet<>(journals.get(0));
        Set<String> inAny = new HashSet<>();
        for (Set<String> j : journals) {
            inAll.retainAll(j);
            inAny.addAll(j);
        }
        for (String gtrid : new TreeSet<>(inAny)) {
            if (!inAll.contains(gtrid)) {
                violations.add("in " + where(banks, journals, gtrid) + " only: " + gtrid + " (commit() reported "
                        + transfers.outcomes().getOrDefault(gtrid, Outcome.UNKNOWN) + ")");
            }
        }
        for (Map.Entry<String, Outcome> e : new java.util.TreeMap<>(transfers.outcomes()).entrySet()) {
            if (e.getValue() == Outcome.COMMITTED && !inAll.contains(e.getKey())) {
                violations.add("commit() returned but the transfer is not in every database: " + e.getKey());
            } else if (e.getValue() == Outcome.ROLLED_BACK && inAny.contains(e.getKey())) {
                violations.add("commit() threw RollbackException but the transfer is in " + where(banks, journals,
                        e.getKey()) + ": " + e.getKey());
            }
        }
        String summary = String.format("  transfers: attempted=%d acknowledged (commit returned)=%d"
                + " reported rolled back=%d unknown (exception or killed)=%d committed (in both databases)=%d",
                transfers.outcomes().size(), transfers.count(Outcome.COMMITTED), transfers.count(Outcome.ROLLED_BACK),
                transfers.count(Outcome.UNKNOWN), inAll.size());
        return new Verdict(List.copyOf(violations), summary);
    }

    private static String where(List<Bank> banks, List<Set<String>> journals, String gtrid) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < banks.size(); i++) {
            if (journals.get(i).contains(gtrid)) {
                names.add(banks.get(i).name());
            }
        }
        return String.join(" and ", names);
    }
}
