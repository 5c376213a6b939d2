package io.quorumtx.bench;

/** One row of results.csv (failures and CPU per transaction are printed, not written). */
record Result(String system, String workload, int threads, double tps, double p50Millis, double p99Millis,
              long failures, double cpuMicrosPerTx) {
}
