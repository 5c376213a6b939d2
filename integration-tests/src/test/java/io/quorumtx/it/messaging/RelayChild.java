package io.quorumtx.it.messaging;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.messaging.MessagePublisher;
import io.quorumtx.messaging.OutboxRelay;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.ExternalDatabases.Server;

/**
 * The main class of a forked relay JVM: reads the outbox of the producer's PostgreSQL database
 * and publishes to a broker (or a proxy in front of it) until it is killed. Arguments are
 * {@code key=value}, so a failing run can be repeated by hand from the line in the test log:
 * {@code broker=RABBITMQ|JETSTREAM port=N table=T relay=ID crash=NONE|AFTER_CONFIRM|MID_BATCH hit=N}.
 *
 * <p>Prints {@code READY} once the relay runs, and {@code AT <point> ...} when it has stopped at
 * the crash point ({@link CrashingPublisher}). The database password is never on the command
 * line: the child reads it as every test does ({@link ExternalDatabases#appUser()}).
 */
public final class RelayChild {
    private RelayChild() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> m = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got " + a);
            }
            m.put(a.substring(0, eq), a.substring(eq + 1));
        }
        Broker broker = Broker.valueOf(m.get("broker"));
        int port = Integer.parseInt(m.get("port"));
        String table = m.get("table");
        CrashingPublisher.Point point = CrashingPublisher.Point.valueOf(m.get("crash"));
        int hit = Integer.parseInt(m.getOrDefault("hit", "1"));

        // A plain (not enlisted) pool, as an application gives its relay.
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(Server.POSTGRESQL.url(ExternalDatabases.DATABASE_A));
        config.setUsername(ExternalDatabases.appUser().user());
        config.setPassword(ExternalDatabases.appUser().password());
        config.setMaximumPoolSize(2);
        HikariDataSource plain = new HikariDataSource(config);

        MessagePublisher publisher = new CrashingPublisher(Brokers.publisher(broker, port), point, hit);
        // A restarted relay keeps its id (a node restarting) and takes its own leases back at once;
        // a relay with another id takes the partitions over when the dead one's leases end.
        OutboxRelay relay = OutboxRelay.builder(plain, publisher).table(table).relayId(m.get("relay"))
                .lease(Brokers.LEASE).build();
        relay.start();
        System.out.println("READY");
        System.out.flush();
        // Runs until the parent kills it (the point of this JVM) or, as a safety net, for two minutes.
        TimeUnit.MINUTES.sleep(2);
        Runtime.getRuntime().halt(4);
    }
}
