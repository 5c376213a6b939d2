package io.quorumtx.recovery.output;

/** The JSON document of a command that could not run (bad configuration, damaged log, node running, ...). */
public record FailureView(String command, String error, int exitCode) {
}
