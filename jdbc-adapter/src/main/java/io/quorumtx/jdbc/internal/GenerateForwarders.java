package io.quorumtx.jdbc.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a hand-written abstract JDBC wrapper whose plain forwarding is generated at build time:
 * {@code ForwarderGenerator} (jdbc-adapter/src/build/java, run in the generate-sources phase)
 * writes the final class {@code Forwarding<Name>} that extends it and implements every method of
 * its {@code java.sql} interfaces it does not implement itself as {@code delegate().method(args)}.
 * The annotated class holds the behaviour (guards, wrapping of what leads back to a connection,
 * unwrapping) and a {@code delegate()} method; everything it leaves out is forwarded unchanged,
 * interface default methods included. {@code ForwardingCoverageTest} checks the result.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
@interface GenerateForwarders {
}
