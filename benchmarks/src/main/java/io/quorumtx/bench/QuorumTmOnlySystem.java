package io.quorumtx.bench;

import java.nio.file.Path;
import java.time.Duration;


import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.log.LocalCommitLog;

/**
 * {@code quorumtx-tm} (diagnostic, not in the default list): the QuorumTX transaction manager
 * with the XAResources of H2's XAConnections enlisted by hand, exactly as {@code narayana} is
 * driven, with no JDBC adapter and no pool. Its distance to {@code quorumtx-xa} is what the
 * adapter costs; its distance to {@code raw-xa} is what the TM and its log cost.
 */
final class QuorumTmOnlySystem implements TransferSystem {
    private final BankDatabase a;
    private final BankDatabase b;
    private final LogDiagnostics logDiagnostics;
    private final QuorumTransactionManager tm;

    QuorumTmOnlySystem(BankDatabase a, BankDatabase b, Path logDirectory) {
        this.a = a;
        this.b = b;
        LocalCommitLog log = LocalCommitLog.open(logDirectory);
        this.logDiagnostics = new LogDiagnostics(log);
        this.tm = QuorumTransactionManager.builder()
                .nodeId("bench-tm")
                .commitLog(log)
                .defaultTimeout(Duration.ofSeconds(60))
                .build();
    }

    @Override
    public Client newClient() throws Exception {
        return new HandEnlistedClient(tm, a, b);
    }

    @Override
    public String diagnostics() {
        return logDiagnostics.sinceLastCall();
    }

    @Override
    public void close() {
        tm.close();
    }
}
