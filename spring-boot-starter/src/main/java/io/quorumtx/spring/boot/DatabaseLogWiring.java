package io.quorumtx.spring.boot;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.QuorumTransactionManager;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import javax.sql.DataSource;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.context.ApplicationContext;

/**
 * Builds the manager over the database commit log ({@code quorumtx.log.type=database}) and
 * untangles the bean cycle that log brings.
 *
 * <p><b>The cycle.</b> The wrapping post-processor needs the manager to wrap a DataSource bean;
 * the manager needs its commit log; the log needs the <em>raw</em> pool of the DataSource bean
 * {@code quorumtx.log.database.datasource} — a bean the post-processor wraps. As beans that is
 * circular, but as objects it is not: raw pool, then log, then manager, then the wrapper of that
 * same pool. So the manager is built inside the wrapping of the log's bean, from the raw pool the
 * post-processor holds at that moment, whichever bean started the chain:
 * <ul>
 *   <li>the log's bean is created first: its wrapping records the raw pool and then asks for the
 *       manager bean; this method finds the pool recorded ({@link DataSourceWrapping#pool}) and
 *       builds at once;</li>
 *   <li>the manager is asked for first (by another DataSource's wrapping, or any bean that injects
 *       it): the log's bean does not exist yet. Asking the bean factory for it would bring its
 *       wrapping back to the manager bean, still in creation (Spring refuses that). Instead this
 *       method hands the wrapping a builder ({@link DataSourceWrapping#buildManagerWhenWrapping})
 *       and then creates the bean; its wrapping applies the builder to the raw pool and wraps with
 *       the manager it returns, and this method returns that same manager.</li>
 * </ul>
 * No proxy or lazy DataSource is involved: the log opens (creates its tables, registers the
 * incarnation) on the real pool while the manager is built, as it would without Spring. The log
 * names the wrapper as its carrier ({@code carriedBy(beanName)}, the wrapper being named after the
 * bean), so a transaction that enlists that database writes its decision inside its own branch.
 * A bean left unwrapped ({@code quorumtx.datasource.exclude}) gives the log its pool without a
 * carrier: every decision is then written by the log's own writer.
 */
final class DatabaseLogWiring {
    private DatabaseLogWiring() {
    }

    /** The manager built by {@code build} over the database log of {@code p}'s settings. */
    static QuorumTransactionManager manager(QuorumTxProperties p, ApplicationContext context,
            ConfigurableBeanFactory beans, DataSourceWrapping wrapping,
            Function<DatabaseCommitLog, QuorumTransactionManager> build) {
        String name = p.getLog().getDatabase().getDatasource();
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("quorumtx.log.database.datasource is required with quorumtx.log.type="
                    + "database: the name of the DataSource bean whose database holds the commit log's tables; "
                    + "DataSource beans: " + dataSourceNames(context));
        }
        if (!context.containsBean(name) || !context.isTypeMatch(name, DataSource.class)) {
            throw new IllegalStateException("quorumtx.log.database.datasource names the DataSource bean '" + name
                    + "', and there is no " + (context.containsBean(name) ? "DataSource" : "bean") + " of that name; "
                    + "DataSource beans: " + dataSourceNames(context));
        }
        Function<DataSource, QuorumTransactionManager> fromPool = pool -> build.apply(
                CommitLogs.database(pool, dialect(p, pool, name), name, p.getLog().getDatabase()));
        DataSource recorded = wrapping.pool(name);
        if (recorded != null) {
            return fromPool.apply(recorded); // called from the wrapping of the log's bean itself
        }
        if (!wrapping.wraps(name)) {
            DataSource bean = context.getBean(name, DataSource.class); // left unwrapped: its own connections
            return build.apply(CommitLogs.database(bean, dialect(p, bean, name), null, p.getLog().getDatabase()));
        }
        if (beans.isCurrentlyInCreation(name)) {
            throw new IllegalStateException("quorumtx.log.database.datasource names the DataSource bean '" + name
                    + "', which needs the QuorumTransactionManager (through its own dependencies) while the manager "
                    + "needs its pool for the commit log; let that bean depend on nothing that uses QuorumTX");
        }
        AtomicReference<QuorumTransactionManager> built = new AtomicReference<>();
        Runnable withdraw = wrapping.buildManagerWhenWrapping(name, pool -> {
            QuorumTransactionManager tm = fromPool.apply(pool);
            built.set(tm);
            return tm;
        });
        try {
            context.getBean(name, DataSource.class);
        } finally {
            withdraw.run();
        }
        if (built.get() == null) {
            throw new IllegalStateException("quorumtx.log.database.datasource names the DataSource bean '" + name
                    + "', which the starter did not wrap (is it a TransactionalDataSource of its own?); name the bean "
                    + "of a plain pool, or exclude it with quorumtx.datasource.exclude");
        }
        return built.get();
    }

    private static Dialect dialect(QuorumTxProperties p, DataSource pool, String name) {
        String configured = p.getDatasource().getDialect().get(name);
        return configured != null ? Dialects.named(configured, name) : Dialects.detect(pool, name);
    }

    private static String dataSourceNames(ApplicationContext context) {
        String[] names = context.getBeanNamesForType(DataSource.class, false, false);
        String[] plain = Arrays.stream(names).filter(n -> !context.isTypeMatch(n, TransactionalDataSource.class))
                .toArray(String[]::new);
        return plain.length == 0 ? "none" : String.join(", ", plain);
    }
}
