package io.quorumtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Closing the application while a two-database transaction is still running lets it commit: the
 * manager closes only after it finished (or after {@code quorumtx.shutdown.timeout}). Without the
 * drain the manager's log would close under the commit and it would fail.
 */
class ShutdownDrainTest {
    static final String RUN = Long.toString(System.nanoTime(), 36);
    static final CountDownLatch LATER_PHASES_STOPPED = new CountDownLatch(1);

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        DataSource left() {
            return h2("left");
        }

        @Bean
        DataSource right() {
            return h2("right");
        }

        /** Stops just before the QuorumTX lifecycle, telling the test that shutdown has reached it. */
        @Bean
        SmartLifecycle stopsJustBefore() {
            return new SmartLifecycle() {
                private volatile boolean running;

                @Override
                public void start() {
                    running = true;
                }

                @Override
                public void stop() {
                    running = false;
                    LATER_PHASES_STOPPED.countDown();
                }

                @Override
                public boolean isRunning() {
                    return running;
                }

                @Override
                public int getPhase() {
                    return RecoveryLifecycle.PHASE + 1;
                }
            };
        }

        private static DataSource h2(String name) {
            JdbcDataSource h2 = new JdbcDataSource();
            h2.setURL(url(name));
            return h2;
        }
    }

    static String url(String name) {
        return "jdbc:h2:mem:drain-" + name + "-" + RUN + ";DB_CLOSE_DELAY=-1";
    }

    @Test
    void aCommitRunningWhenTheApplicationClosesStillCommitsBothDatabases() throws Exception {
        Path log = Files.createTempDirectory("quorumtx-drain");
        ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                .web(WebApplicationType.NONE)
                .properties("quorumtx.node-id=drain-test", "quorumtx.log.directory=" + log,
                        "quorumtx.shutdown.timeout=60s", "spring.main.banner-mode=off")
                .run();
        JdbcTemplate left = new JdbcTemplate(context.getBean("left", DataSource.class));
        JdbcTemplate right = new JdbcTemplate(context.getBean("right", DataSource.class));
        left.execute("CREATE TABLE t(id INT PRIMARY KEY)");
        right.execute("CREATE TABLE t(id INT PRIMARY KEY)");
        TransactionTemplate transactions = context.getBean(TransactionTemplate.class);

        Thread[] closer = new Thread[1];
        CompletableFuture<Void> closed = new CompletableFuture<>();
        CompletableFuture<Void> committed = CompletableFuture.runAsync(() -> transactions.executeWithoutResult(s -> {
            left.update("INSERT INTO t VALUES (1)");
            right.update("INSERT INTO t VALUES (1)");
            closer[0] = new Thread(() -> {
                context.close();
                closed.complete(null);
            }, "closer");
            closer[0].start();
            try {
                // The commit goes on only once shutdown is waiting in the QuorumTX lifecycle.
                assertThat(LATER_PHASES_STOPPED.await(60, TimeUnit.SECONDS)).isTrue();
                // Waiting for us (sleeping in the lifecycle's stop), or — were there no drain — done.
                Poll.until("the closer waits for the running transaction or has closed", Duration.ofSeconds(60),
                        () -> closer[0].getState() == Thread.State.TIMED_WAITING
                                || closer[0].getState() == Thread.State.TERMINATED);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }));

        committed.get(2, TimeUnit.MINUTES);
        closed.get(2, TimeUnit.MINUTES);
        assertThat(count("left")).isEqualTo(1);
        assertThat(count("right")).isEqualTo(1);
    }

    private static int count(String db) throws Exception {
        try (Connection c = DriverManager.getConnection(url(db));
                ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM t")) {
            rs.next();
            return rs.getInt(1);
        }
    }

}
