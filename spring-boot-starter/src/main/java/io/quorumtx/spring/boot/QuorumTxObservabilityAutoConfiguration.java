package io.quorumtx.spring.boot;

import io.micrometer.observation.ObservationRegistry;
import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.micrometer.QuorumTxHealth;
import io.quorumtx.micrometer.QuorumTxLockMetrics;
import io.quorumtx.micrometer.QuorumTxMetrics;
import io.quorumtx.micrometer.QuorumTxObservations;
import io.quorumtx.tm.QuorumTransactionManager;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Metrics, tracing and health of the manager (module {@code quorumtx-micrometer}), each only
 * where the application has what it feeds:
 *
 * <ul>
 *   <li>{@link QuorumTxMetrics} (and {@link QuorumTxLockMetrics} with the lock service) as
 *       {@code MeterBinder} beans: Boot binds every MeterBinder bean to each {@code MeterRegistry}
 *       it configures (with Actuator), so the meters appear under {@code /actuator/metrics} and in
 *       every exporter; without a registry nothing is bound and the commit path pays nothing;</li>
 *   <li>{@link QuorumTxObservations} on the application's {@link ObservationRegistry}: spans of
 *       commits, their phases and recovery passes, through the application's tracing bridge;</li>
 *   <li>an Actuator {@code HealthIndicator} named {@code quorumtx} adapting {@link QuorumTxHealth}
 *       (bean {@code quorumtxHealthIndicator}; Boot drops the suffix).</li>
 * </ul>
 *
 * <p>A separate auto-configuration so that it can run after Boot's observation and metrics
 * auto-configurations (Boot 4 names) while the core one runs before the transaction ones.
 */
@AutoConfiguration(after = QuorumTxAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnBean(QuorumTransactionManager.class)
@ConditionalOnClass(name = "io.quorumtx.micrometer.QuorumTxMetrics")
public class QuorumTxObservabilityAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class Metrics {
        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        QuorumTxMetrics quorumTxMetrics(QuorumTransactionManager tm) {
            return new QuorumTxMetrics(tm);
        }

        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass(name = "io.quorumtx.lock.DatabaseLockService")
        @ConditionalOnBean(DatabaseLockService.class)
        static class LockMetrics {
            @Bean(destroyMethod = "close")
            @ConditionalOnMissingBean
            QuorumTxLockMetrics quorumTxLockMetrics(DatabaseLockService locks) {
                return new QuorumTxLockMetrics(locks);
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(ObservationRegistry.class)
    static class Tracing {
        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        QuorumTxObservations quorumTxObservations(QuorumTransactionManager tm, ObservationRegistry registry) {
            return QuorumTxObservations.builder(tm, registry).register();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class HealthCheck {
        @Bean
        @ConditionalOnMissingBean(name = "quorumtxHealthIndicator")
        HealthIndicator quorumtxHealthIndicator(QuorumTransactionManager tm, QuorumTxProperties p) {
            QuorumTxHealth health = new QuorumTxHealth(tm, p.getHealth().getInDoubtAge());
            return () -> {
                QuorumTxHealth.Report report = health.check();
                Health.Builder builder = Health.status(report.status().name()).withDetails(report.details());
                if (!report.reasons().isEmpty()) {
                    builder.withDetail("reasons", report.reasons());
                }
                return builder.build();
            };
        }
    }
}
