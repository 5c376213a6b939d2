package io.quorumtx.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * Runs one cell: {@code threads} clients transferring as fast as they can, a warm-up whose
 * transactions count only for the correctness check, then a fixed measuring window. A
 * transaction is measured when it both starts and completes inside the window (at most one per
 * thread is lost at each edge). Latencies go into one HdrHistogram
 * per thread (microseconds), merged at the end, so recording costs no shared writes.
 */
final class CellRunner {
    private static final int WARM_UP = 0;
    private static final int MEASURE = 1;
    private static final int STOP = 2;

    private volatile int phase = WARM_UP;

    record Outcome(long committedTotal, long measuredCommits, long failures, double seconds,
                   Histogram latencies, Throwable firstFailure, long cpuNanos) {
        double tps() {
            return seconds <= 0 ? 0 : measuredCommits / seconds;
        }

        /**
         * CPU time of the whole JVM per measured transaction: on a shared, noisy machine this
         * says more about a system's own overhead than throughput does.
         */
        double cpuMicrosPerTx() {
            return measuredCommits == 0 ? 0 : cpuNanos / 1000.0 / measuredCommits;
        }

        /** Two slices of the same cell as one. */
        Outcome plus(Outcome other) {
            Histogram merged = latencies.copy();
            merged.add(other.latencies);
            return new Outcome(committedTotal + other.committedTotal, measuredCommits + other.measuredCommits,
                    failures + other.failures, seconds + other.seconds, merged,
                    firstFailure != null ? firstFailure : other.firstFailure, cpuNanos + other.cpuNanos);
        }
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    Outcome run(TransferSystem system, int threads, int accounts, Duration warmUp, Duration measure)
            throws Exception {
        List<Worker> workers = new ArrayList<>();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < threads; i++) {
            Worker w = new Worker(system.newClient(), accounts, ready, go);
            w.setName("bench-client-" + i);
            w.setDaemon(true); // a cell that fails to start must not keep the JVM alive
            workers.add(w);
            w.start();
        }
        if (!ready.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("benchmark clients did not start within 60 s");
        }
        go.countDown();
        // The warm-up and the measuring window are fixed durations: sleeping is the measurement
        // itself here, not a wait for a condition (this is the benchmark, not a test).
        Thread.sleep(warmUp.toMillis());
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        phase = MEASURE;
        Thread.sleep(measure.toMillis());
        phase = STOP;
        long end = System.nanoTime();
        long cpu = processCpuNanos() - cpuStart;
        Histogram merged = newHistogram();
        long committed = 0;
        long measured = 0;
        long failures = 0;
        Throwable first = null;
        for (Worker w : workers) {
            w.join(TimeUnit.SECONDS.toMillis(120));
            if (w.isAlive()) {
                throw new IllegalStateException(w.getName() + " still running 120 s after the window closed");
            }
            merged.add(w.histogram);
            committed += w.committed;
            measured += w.measured;
            failures += w.failures;
            if (first == null) {
                first = w.firstFailure;
            }
        }
        return new Outcome(committed, measured, failures, (end - start) / 1e9, merged, first, cpu);
    }

    private static Histogram newHistogram() {
        return new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
    }

    private final class Worker extends Thread {
        private final TransferSystem.Client client;
        private final int accounts;
        private final CountDownLatch ready;
        private final CountDownLatch go;
        private final Histogram histogram = newHistogram();
        long committed;
        long measured;
        long failures;
        Throwable firstFailure;

        Worker(TransferSystem.Client client, int accounts, CountDownLatch ready, CountDownLatch go) {
            this.client = client;
            this.accounts = accounts;
            this.ready = ready;
            this.go = go;
        }

        @Override
        public void run() {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            try (TransferSystem.Client c = client) {
                ready.countDown();
                go.await();
                int p;
                while ((p = phase) != STOP) {
                    int from = 1 + random.nextInt(accounts);
                    int to = 1 + random.nextInt(accounts);
                    long amount = 1L + random.nextInt(100);
                    long t0 = System.nanoTime();
                    try {
                        c.transfer(from, to, amount);
                    } catch (Exception e) {
                        failures++;
                        if (firstFailure == null) {
                            firstFailure = e;
                        }
                        continue;
                    }
                    long micros = (System.nanoTime() - t0) / 1000;
                    committed++;
                    if (p == MEASURE && phase == MEASURE) {
                        measured++;
                        histogram.recordValue(Math.min(micros, histogram.getHighestTrackableValue()));
                    }
                }
            } catch (Exception e) {
                if (firstFailure == null) {
                    firstFailure = e;
                }
            }
        }
    }
}
