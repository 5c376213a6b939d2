/**
 * What the dialects ({@code io.quorumtx.jdbc.dialect}) and the adapter's machinery
 * ({@code io.quorumtx.jdbc.internal}, {@code io.quorumtx.jdbc}) both need: the contract of an
 * XAResource tied to one pooled connection ({@link io.quorumtx.jdbc.internal.shared.ConnectionBoundResource}),
 * the refusal of databases that cannot keep a two-phase commit's promises
 * ({@link io.quorumtx.jdbc.internal.shared.DatabaseChecks}) and password-free URLs for messages
 * ({@link io.quorumtx.jdbc.internal.shared.Redaction}). It depends on neither, so the dialects no
 * longer import {@code jdbc.internal}, which imports them. Not for users.
 */
package io.quorumtx.jdbc.internal.shared;
