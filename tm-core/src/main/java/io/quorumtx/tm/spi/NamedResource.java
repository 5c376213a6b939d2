package io.quorumtx.tm.spi;

/**
 * Implemented by an {@link javax.transaction.xa.XAResource} that has a stable name: the same
 * database keeps the same name across restarts and in the recovery tool's configuration.
 *
 * <p>The name becomes the branch qualifier of the resource's Xids and is written into COMMIT
 * records, so recovery can find the branch again. Names are 1 to 48 characters of
 * {@code [A-Za-z0-9_.-]}. An XAResource without a name is enlisted under a generated one, which
 * works for a live transaction but cannot be matched by a later recovery pass.
 */
public interface NamedResource {
    String resourceName();
}
