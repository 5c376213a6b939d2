/**
 * Not for users: the transaction object and its completion state machine, its enlistments (the
 * XA association calls that build its branches), the engine shared by one manager's transactions
 * (reaper, registered resources, heuristics), synchronization ordering and the registry. May
 * change without notice.
 */
package io.quorumtx.tm.internal;
