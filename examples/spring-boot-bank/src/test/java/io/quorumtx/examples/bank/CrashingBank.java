package io.quorumtx.examples.bank;

import io.quorumtx.spring.boot.QuorumTransactionManagerCustomizer;
import io.quorumtx.tm.testing.CrashPoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The JVM {@link BankCrashTest} kills: the bank application, started as in production plus a
 * crash injector (through the starter's {@link QuorumTransactionManagerCustomizer}), running
 * transfers on several threads until the injector halts the JVM — {@code Runtime.halt}, like
 * {@code kill -9}: no finally blocks, no shutdown hooks, no graceful shutdown — the
 * {@code crashAtHit}-th time a commit reaches {@code AFTER_COMMIT_RECORD} (the decision is
 * forced, no database has committed).
 *
 * <p>Arguments: {@code crashAtHit threads transfers}, then Spring properties
 * ({@code --bank.a.jdbc-url=...}). It reports on stdout, one flushed line per event:
 * {@code READY}, {@code OK <id> .} when {@code transfer} returned (acknowledged: must survive),
 * {@code CRASH <id>} just before the halt inside transfer id's commit, {@code DONE}.
 */
public final class CrashingBank {
    static final int CRASH_EXIT = 77;
    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    private CrashingBank() {
    }

    public static void main(String[] args) throws Exception {
        int crashAtHit = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        String[] springArgs = java.util.Arrays.copyOfRange(args, 3, args.length);
        AtomicInteger hits = new AtomicInteger();
        QuorumTransactionManagerCustomizer crash = builder -> builder.crashInjector((point, gtrid) -> {
            if (point == CrashPoint.AFTER_COMMIT_RECORD && hits.incrementAndGet() == crashAtHit) {
                emit("CRASH " + CURRENT.get());
                Runtime.getRuntime().halt(CRASH_EXIT);
            }
        });
        ConfigurableApplicationContext context = new SpringApplicationBuilder(BankApplication.class)
                .web(WebApplicationType.NONE)
                .initializers(c -> c.getBeanFactory().registerSingleton("crashInjectingCustomizer", crash))
                .run(springArgs);
        emit("READY");
        TransferService transfers = context.getBean(TransferService.class);
        AtomicInteger next = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                int n;
                while ((n = next.incrementAndGet()) <= count) {
                    String id = "x-" + n;
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    CURRENT.set(id);
                    try {
                        transfers.transfer(id, r.nextInt(BankScenarios.ACCOUNTS), r.nextInt(BankScenarios.ACCOUNTS),
                                1 + r.nextInt(50));
                        emit("OK " + id + " .");
                    } catch (RuntimeException e) {
                        emit("FAIL " + id + " " + e.toString().replace('\n', ' '));
                    }
                }
            }, "transfer-" + t);
            w.start();
            workers.add(w);
        }
        for (Thread w : workers) {
            w.join();
        }
        emit("DONE");
        context.close();
        System.exit(0);
    }

    static void emit(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
