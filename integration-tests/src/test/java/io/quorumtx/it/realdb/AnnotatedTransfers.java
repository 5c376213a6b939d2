package io.quorumtx.it.realdb;

import io.quorumtx.jdbc.jdbi.QuorumTxJdbi;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.internal.QuorumTransaction;
import io.quorumtx.tm.transactional.TransactionalProxies;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.jdbi.v3.sqlobject.transaction.Transaction;

/**
 * A transfer as an application writes it with QuorumTX: a {@code @Transactional} service (a
 * Byte Buddy class proxy) calling a Jdbi SqlObject DAO of each bank. The crash tests run it in a
 * child JVM ({@link RealDbCrashChild}, {@code annotated=true}).
 */
public class AnnotatedTransfers {

    /** One bank's DAO; {@code <table>} is the bank's table. */
    public interface AccountDao {
        @SqlUpdate("UPDATE <table> SET balance = balance + :amount, ops = ops + 1 WHERE id = :id")
        int credit(@Bind("id") int id, @Bind("amount") long amount);

        @Transaction
        default void creditOrFail(int id, long amount) {
            if (credit(id, amount) != 1) {
                throw new IllegalStateException("no account " + id);
            }
        }
    }

    /** Told the gtrid once the transaction has begun (the crash tests' line protocol needs it). */
    public interface Begun {
        void begun(String gtrid);
    }

    private final QuorumTransactionManager tm;
    private final List<AccountDao> banks;

    public AnnotatedTransfers(QuorumTransactionManager tm, List<AccountDao> banks) {
        this.tm = tm;
        this.banks = banks;
    }

    /** The service behind its proxy, with a DAO per bank of {@code cluster}. */
    static AnnotatedTransfers of(RealDbCluster cluster) {
        List<AccountDao> daos = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            Jdbi jdbi = QuorumTxJdbi.create(cluster.tm(), cluster.dataSource(i)).installPlugin(new SqlObjectPlugin());
            jdbi.define("table", cluster.bank(i).table());
            daos.add(jdbi.onDemand(AccountDao.class));
        }
        return new TransactionalProxies(cluster.tm()).forClass(AnnotatedTransfers.class, cluster.tm(), daos);
    }

    /** Credits {@code amounts[i]} to account {@code ids[i]} of bank i, all in one transaction. */
    @Transactional
    public void transfer(int[] ids, long[] amounts, Begun begun) throws Exception {
        begun.begun(((QuorumTransaction) tm.getTransaction()).gtrid());
        for (int i = 0; i < banks.size(); i++) {
            banks.get(i).creditOrFail(ids[i], amounts[i]);
        }
    }
}
