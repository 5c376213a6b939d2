package io.quorumtx.spring.boot;

import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.QuorumTransactionManagerBuilder;
import java.util.function.Function;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.transaction.TransactionManager;
import org.springframework.transaction.jta.JtaTransactionManager;

/**
 * The auto-configuration of the QuorumTX starter: a {@link QuorumTransactionManager} from the
 * {@code quorumtx.*} properties, Spring's {@link JtaTransactionManager} over it, every DataSource
 * bean wrapped ({@link DataSourceWrapping}), recovery before serving and a draining shutdown
 * ({@link RecoveryLifecycle}), and the lock service when {@code quorumtx.locks.datasource} is set.
 * With {@code quorumtx.log.type=database} the commit log lives in the database of a DataSource
 * bean ({@link DatabaseLogWiring}).
 *
 * <p>It lives in the starter jar itself rather than a separate {@code -autoconfigure} artifact:
 * the split pays when one auto-configuration serves several starters, and QuorumTX has one.
 *
 * <p>It runs before Boot's DataSource transaction manager and transaction auto-configurations
 * (Spring Boot 4 module and package names, hence Boot 4 only): their
 * {@code @ConditionalOnMissingBean(TransactionManager)} then sees the JTA manager, and the
 * {@code TransactionTemplate} and {@code @Transactional} support they set up use it.
 */
@AutoConfiguration(beforeName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
        "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration",
        "org.springframework.boot.transaction.jta.autoconfigure.JtaAutoConfiguration"})
@ConditionalOnProperty(prefix = "quorumtx", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(QuorumTxProperties.class)
public class QuorumTxAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    QuorumTransactionManager quorumTransactionManager(QuorumTxProperties p,
            ObjectProvider<QuorumTransactionManagerCustomizer> customizers, ApplicationContext context,
            ConfigurableBeanFactory beans, DataSourceWrapping wrapping) {
        boolean databaseLog = p.getLog().getType() == QuorumTxProperties.LogType.DATABASE;
        String nodeId = NodeIdDefaults.resolve(p.getNodeId(), !databaseLog);
        Function<DatabaseCommitLog, QuorumTransactionManager> build = dbLog -> {
            QuorumTransactionManagerBuilder builder = QuorumTransactionManager.builder()
                    .nodeId(nodeId)
                    .defaultTimeout(p.getDefaultTimeout())
                    .reaperInterval(p.getReaperInterval())
                    .recoveryInterval(p.getRecoveryInterval())
                    .phase2Retry(p.getPhase2RetryInitial(), p.getPhase2RetryMax())
                    .defaultProtocol(p.getDefaultProtocol());
            if (p.getRecoverySafetyInterval() != null) {
                builder.recoverySafetyInterval(p.getRecoverySafetyInterval());
            }
            CommitLogs.configure(builder, nodeId, p.getLog(), dbLog);
            customizers.orderedStream().forEach(c -> c.customize(builder));
            return builder.build();
        };
        // The database log needs the raw pool of a bean that the wrapping needs this manager for:
        // DatabaseLogWiring explains the order it builds them in.
        return databaseLog ? DatabaseLogWiring.manager(p, context, beans, wrapping, build) : build.apply(null);
    }

    /**
     * Spring's JTA transaction manager over QuorumTX, so {@code @Transactional} (Spring's and
     * {@code jakarta.transaction}'s) and {@code TransactionTemplate} span every wrapped database.
     */
    @Bean
    @ConditionalOnMissingBean(TransactionManager.class)
    JtaTransactionManager transactionManager(QuorumTransactionManager tm) {
        JtaTransactionManager jta = new JtaTransactionManager(tm, tm);
        jta.setTransactionSynchronizationRegistry(tm.getTransactionSynchronizationRegistry());
        return jta;
    }

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static DataSourceWrapping quorumTxDataSourceWrapping(ObjectProvider<QuorumTransactionManager> tm, Environment env) {
        // Bound here, not injected: a post-processor is created before the properties bean.
        QuorumTxProperties.DataSources settings = Binder.get(env)
                .bind("quorumtx.datasource", QuorumTxProperties.DataSources.class)
                .orElseGet(QuorumTxProperties.DataSources::new);
        return new DataSourceWrapping(tm, settings);
    }

    @Bean
    RecoveryLifecycle quorumTxRecoveryLifecycle(QuorumTransactionManager tm, QuorumTxProperties p) {
        return new RecoveryLifecycle(tm, p.getStartup().getRecoveryTimeout(), p.getShutdown().getTimeout());
    }

    /** The lock service, on the pool of the DataSource bean {@code quorumtx.locks.datasource} (unwrapped). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.quorumtx.lock.DatabaseLockService")
    @ConditionalOnProperty(prefix = "quorumtx.locks", name = "datasource")
    static class Locks {
        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        DatabaseLockService quorumTxLockService(QuorumTxProperties p, ApplicationContext context,
                DataSourceWrapping wrapping) {
            QuorumTxProperties.Locks l = p.getLocks();
            String name = l.getDatasource();
            if (!context.containsBean(name)) {
                throw new IllegalStateException("quorumtx.locks.datasource names the DataSource bean '" + name
                        + "', and there is no bean of that name");
            }
            DataSource bean = context.getBean(name, DataSource.class);
            // Lock statements must not join the application's transactions: the pool, not the wrapper.
            DataSource pool = wrapping.pool(name) != null ? wrapping.pool(name) : bean;
            String configured = p.getDatasource().getDialect().get(name);
            return DatabaseLockService.builder(pool,
                            configured != null ? Dialects.named(configured, name) : Dialects.detect(pool, name))
                    .table(l.getTable())
                    .createTable(l.isCreateTable())
                    .defaultLease(l.getLease())
                    .watchdog(l.isWatchdog())
                    .build();
        }
    }
}
