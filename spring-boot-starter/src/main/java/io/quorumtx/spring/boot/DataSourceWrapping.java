package io.quorumtx.spring.boot;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.QuorumTransactionManager;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.core.Ordered;

/**
 * Wraps every {@link DataSource} bean as a {@link TransactionalDataSource} named after the bean,
 * over the bean itself (style b: the application's pool is kept and configured as before), with
 * the dialect of its JDBC URL. So everything that takes connections from the bean — JdbcTemplate,
 * JdbcClient, Jdbi, plain JDBC — enlists in the current QuorumTX transaction, and outside one
 * gets the pool's ordinary auto-commit connections.
 *
 * <p>The bean name is the resource name written into the commit log and the branch qualifier of
 * every Xid, so recovery after a restart finds the same database under the same name: rename a
 * DataSource bean only when nothing is in doubt.
 *
 * <p>Because the exposed bean is the wrapper, the pool's own destroy method would no longer be
 * found; this post-processor closes the wrapper (unregistering it from the manager) and then the
 * pool. The manager is looked up lazily (a post-processor is created before ordinary beans), and
 * each wrapped bean is declared dependent on it, so the manager outlives every wrapper (and the
 * database commit log, which the manager closes, still has its pool when it retires).
 */
final class DataSourceWrapping implements DestructionAwareBeanPostProcessor, BeanFactoryAware, Ordered {
    private static final Logger LOG = LoggerFactory.getLogger(DataSourceWrapping.class);

    private final ObjectProvider<QuorumTransactionManager> manager;
    private final QuorumTxProperties.DataSources settings;
    private final Map<String, DataSource> pools = new ConcurrentHashMap<>();
    private final Map<TransactionalDataSource, DataSource> wrappers = new ConcurrentHashMap<>();
    private final Map<String, Function<DataSource, QuorumTransactionManager>> managerBuilders = new ConcurrentHashMap<>();
    private ConfigurableBeanFactory beanFactory;

    DataSourceWrapping(ObjectProvider<QuorumTransactionManager> manager, QuorumTxProperties.DataSources settings) {
        this.manager = manager;
        this.settings = settings;
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory instanceof ConfigurableBeanFactory c ? c : null;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        if (!(bean instanceof DataSource pool) || bean instanceof TransactionalDataSource
                || !settings.isWrap() || settings.getExclude().contains(beanName)) {
            return bean;
        }
        String configured = settings.getDialect().get(beanName);
        Dialect dialect = configured != null ? Dialects.named(configured, beanName) : Dialects.detect(pool, beanName);
        // The pool is recorded before the manager is asked for: with the database commit log the
        // manager's bean method may need this very pool (see DatabaseLogWiring).
        pools.put(beanName, pool);
        TransactionalDataSource wrapped;
        try {
            Function<DataSource, QuorumTransactionManager> builder = managerBuilders.remove(beanName);
            QuorumTransactionManager tm = builder != null ? builder.apply(pool) : manager.getObject();
            wrapped = TransactionalDataSource.builder(tm)
                    .name(beanName)
                    .dataSource(pool)
                    .dialect(dialect)
                    .build();
        } catch (RuntimeException | Error e) {
            pools.remove(beanName);
            throw e;
        }
        wrappers.put(wrapped, pool);
        if (beanFactory != null) {
            for (String tmName : beanFactory instanceof org.springframework.beans.factory.ListableBeanFactory l
                    ? l.getBeanNamesForType(QuorumTransactionManager.class, false, false) : new String[0]) {
                beanFactory.registerDependentBean(tmName, beanName);
            }
        }
        LOG.info("DataSource bean '{}' joins QuorumTX transactions as resource '{}' ({} dialect)", beanName, beanName,
                dialect.name());
        return wrapped;
    }

    /** The application's own pool behind the wrapped bean {@code beanName}, or null if it was not wrapped. */
    DataSource pool(String beanName) {
        return pools.get(beanName);
    }

    /** Whether the DataSource bean {@code beanName} is to be wrapped (the settings do not leave it out). */
    boolean wraps(String beanName) {
        return settings.isWrap() && !settings.getExclude().contains(beanName);
    }

    /**
     * Has the wrapping of {@code beanName}, when it comes, take its manager from {@code builder}
     * applied to the bean's own pool instead of from the manager bean — which is the one asking,
     * being created and in need of that pool (the database commit log; see DatabaseLogWiring).
     * Returns a handle that withdraws the request if it was not used.
     */
    Runnable buildManagerWhenWrapping(String beanName, Function<DataSource, QuorumTransactionManager> builder) {
        managerBuilders.put(beanName, builder);
        return () -> managerBuilders.remove(beanName, builder);
    }

    @Override
    public boolean requiresDestruction(Object bean) {
        return bean instanceof TransactionalDataSource t && wrappers.containsKey(t);
    }

    @Override
    public void postProcessBeforeDestruction(Object bean, String beanName) {
        if (!(bean instanceof TransactionalDataSource wrapped)) {
            return;
        }
        DataSource pool = wrappers.remove(wrapped);
        wrapped.close();
        if (pool instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.warn("Could not close the pool of DataSource bean '{}'", beanName, e);
            }
        }
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE; // after other post-processors have decorated the pool
    }
}
