package io.quorumtx.recovery.config;

/** A configuration problem, worded for the operator: it names the key (or file) and what to do. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
