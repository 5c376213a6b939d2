/**
 * {@code @jakarta.transaction.Transactional} without a container: the interceptor that applies the
 * specification's rules around a method call, and the proxies that put it in front of a service.
 */
package io.quorumtx.tm.transactional;
