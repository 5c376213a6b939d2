package io.quorumtx.tm.spi;

/**
 * Implemented by an {@link javax.transaction.xa.XAResource} that can say whether its resource
 * manager runs inside this JVM (an embedded database) or in another process (a database server).
 *
 * <p>It decides whether a transaction's branches are prepared and committed in parallel under
 * {@code BranchExecution.AUTO}: on a server each XA call is a network round trip plus a disk force
 * there, so waiting for them side by side saves real time; an embedded XA call is a method call,
 * cheaper than handing it to another thread. An XAResource that does not implement this is taken
 * to be remote (drivers and brokers enlisted directly usually are, and misjudging an embedded one
 * costs only a thread hop). The JDBC adapter's resources answer from the JDBC URL.
 */
public interface ResourceLocality {

    /** True when the resource manager runs in this JVM, so an XA call involves no network or other process. */
    boolean inProcess();
}
