package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.CommitLogException;
import java.io.IOException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's acceptor, opened from its data directory as its {@link StartMode} says, and the
 * transport that serves it to the other members (TCP, with or without TLS, or in-process).
 */
record ServedAcceptor(Acceptor acceptor, PaxosTransport transport) {
    private static final Logger LOG = LoggerFactory.getLogger(ServedAcceptor.class);

    /**
     * Opens (bootstraps, restarts or rejoins) the acceptor and starts serving it; closes what it
     * opened if a later step fails.
     *
     * @throws CommitLogException if the directory cannot be used or the transport cannot start
     */
    static ServedAcceptor start(ReplicatedLogConfig config) {
        ClusterConfig cluster = config.cluster();
        AcceptorLog files = switch (config.startMode()) {
            case BOOTSTRAP -> AcceptorLog.bootstrap(config.dataDirectory(), cluster.self());
            case RESTART -> AcceptorLog.open(config.dataDirectory(), cluster.self());
            case REJOIN -> {
                long now = System.currentTimeMillis();
                AcceptorRecord.Rejoined fence = new AcceptorRecord.Rejoined(now,
                        now + config.clockSkewMargin().toMillis());
                LOG.warn("Node {} rejoins the replicated log with a new acceptor directory {}: it leaves every transaction"
                        + " begun before {} (now plus the clock-skew margin {}) to the other members", cluster.self(),
                        config.dataDirectory(), Instant.ofEpochMilli(fence.fenceMillis()), config.clockSkewMargin());
                yield AcceptorLog.rejoin(config.dataDirectory(), cluster.self(), fence);
            }
        };
        Acceptor acceptor;
        try {
            acceptor = new Acceptor(cluster.self(), cluster.members().keySet(), files, config.acceptorRules());
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
        PaxosTransport transport;
        try {
            if (config.inProcessCluster() != null) {
                config.inProcessCluster().register(acceptor);
                transport = config.inProcessCluster().transportFor(cluster.self());
            } else {
                transport = config.tls() == null ? TcpTransport.serve(cluster, acceptor, config.requestTimeout())
                        : TcpTransport.serve(cluster, config.tls(), acceptor, config.requestTimeout());
            }
        } catch (IOException | RuntimeException e) {
            acceptor.close();
            throw CommitLogException.cannotOpen("Cannot start the replicated log of node " + cluster.self() + ": "
                    + e.getMessage(), e);
        }
        return new ServedAcceptor(acceptor, transport);
    }
}
