package io.quorumtx.it.realdb;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.quorumtx.it.support.ChildArgs;
import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.tm.testing.CrashPoint;

/**
 * The JVM a database-log crash test kills: a manager whose commit log is the database commit log
 * in the first bank's database (that bank carries the decision), moving money across the three
 * banks of a {@link DbLogTopology} one transfer at a time until its injector halts it at the
 * n-th time the named point is reached. Nothing is written to local disk. Speaks the line
 * protocol of {@link RealDbCrashChild}.
 *
 * <p>Arguments, {@code key=value}: topology, style, data (H2 files' directory), node, tables,
 * accounts, point, hit, prefix (the log's table prefix), lease (milliseconds).
 */
public final class DbLogCrashChild {
    private DbLogCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = ChildArgs.parse(args);
        DbLogTopology topology = DbLogTopology.valueOf(a.get("topology"));
        WrappingStyle style = WrappingStyle.valueOf(a.get("style"));
        List<Bank> banks = topology.open(Path.of(a.get("data")), Integer.parseInt(a.get("accounts")),
                Arrays.asList(a.get("tables").split(",")));
        List<AutoCloseable> pools = new ArrayList<>();
        DatabaseCommitLog log = DbLogTopology.log(banks.get(0), a.get("prefix"),
                Duration.ofMillis(Long.parseLong(a.get("lease"))), pools);
        CrashPoint point = CrashPoint.valueOf(a.get("point"));
        int hit = Integer.parseInt(a.get("hit"));
        try (RealDbCluster c = RealDbCluster.attach(banks, a.get("node"), null, style, 2,
                b -> b.commitLog(log).crashInjector(RealDbCrashChild.injector(point, hit)))) {
            RealDbCrashChild.emit("READY");
            for (int n = 1; n <= 1_000; n++) {
                RealDbCrashChild.transfer(c, n);
            }
            RealDbCrashChild.emit("DONE");
        }
        System.exit(0);
    }
}
