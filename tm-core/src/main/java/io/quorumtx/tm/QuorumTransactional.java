package io.quorumtx.tm;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * QuorumTX's settings for a transaction that an annotated method begins, next to
 * {@code @jakarta.transaction.Transactional}: its timeout and its commit protocol. Honoured only
 * where a transaction begins (REQUIRED without a caller's transaction, REQUIRES_NEW); a method
 * that joins its caller's transaction inherits the caller's settings. On a method it wins over
 * its class's.
 */
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface QuorumTransactional {

    /** The transaction's timeout in seconds; 0 for the manager's default. */
    int timeoutSeconds() default 0;

    /** The commit protocol; empty for the manager's default. At most one value. */
    CommitProtocolType[] protocol() default {};
}
