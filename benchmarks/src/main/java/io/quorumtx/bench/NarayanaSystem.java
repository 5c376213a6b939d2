package io.quorumtx.bench;

import java.nio.file.Path;


import com.arjuna.ats.arjuna.common.CoreEnvironmentBean;
import com.arjuna.ats.arjuna.common.ObjectStoreEnvironmentBean;
import com.arjuna.common.internal.util.propertyservice.BeanPopulator;

import jakarta.transaction.TransactionManager;

/**
 * {@code narayana}: Narayana 7.2.x used stand-alone, as its quick-start for JTA without an
 * application server shows: {@code com.arjuna.ats.jta.TransactionManager.transactionManager()}
 * with the default object store (ShadowNoFileLockStore, which syncs every record: the default
 * {@code objectStoreSync=true}) under {@code target/bench/narayana}, a node identifier set (Narayana
 * warns without one), the recovery manager not started (its TransactionStatusManager listener
 * still starts with the TM, as by default), and the XAResources of H2's XAConnections
 * enlisted by hand. Narayana ends the branches itself at commit. Each client holds its own pair
 * of XA connections, so no pool stands between Narayana and H2.
 *
 * <p>Narayana's configuration is JVM-global (property beans read once), so every workload of a
 * run shares the one store directory.
 */
final class NarayanaSystem implements TransferSystem {
    private static final Object CONFIGURE_LOCK = new Object();
    private static boolean configured;

    private final BankDatabase a;
    private final BankDatabase b;
    private final TransactionManager tm;

    NarayanaSystem(BankDatabase a, BankDatabase b, Path storeDirectory) throws Exception {
        this.a = a;
        this.b = b;
        configureOnce(storeDirectory);
        this.tm = com.arjuna.ats.jta.TransactionManager.transactionManager();
    }

    private static void configureOnce(Path storeDirectory) throws Exception {
        synchronized (CONFIGURE_LOCK) {
            if (configured) {
                return;
            }
            String dir = storeDirectory.toAbsolutePath().toString();
            BeanPopulator.getDefaultInstance(CoreEnvironmentBean.class).setNodeIdentifier("bench");
            BeanPopulator.getDefaultInstance(ObjectStoreEnvironmentBean.class).setObjectStoreDir(dir);
            BeanPopulator.getNamedInstance(ObjectStoreEnvironmentBean.class, "communicationStore").setObjectStoreDir(dir);
            BeanPopulator.getNamedInstance(ObjectStoreEnvironmentBean.class, "stateStore").setObjectStoreDir(dir);
            configured = true;
        }
    }

    @Override
    public Client newClient() throws Exception {
        return new HandEnlistedClient(tm, a, b);
    }

    @Override
    public void close() {
    }
}
