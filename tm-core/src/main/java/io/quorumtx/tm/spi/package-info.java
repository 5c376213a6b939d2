/**
 * The extension points for resource and participant authors: what a resource implements so that
 * QuorumTX can name its branches ({@link io.quorumtx.tm.spi.NamedResource}), reach it again for
 * retries and recovery ({@link io.quorumtx.tm.spi.RecoverableResource}), and keep three-phase
 * commit's pre-commit markers ({@link io.quorumtx.tm.spi.PreCommitMarkers},
 * {@link io.quorumtx.tm.spi.PreCommitMarker}); and the adapter that makes a participant that is not
 * a database take part in three-phase commit ({@link io.quorumtx.tm.spi.ThreePhaseParticipant},
 * {@link io.quorumtx.tm.spi.ThreePhaseResource}).
 *
 * <p>Applications use {@code io.quorumtx.tm}; the JDBC adapter's wrapped DataSources implement these
 * interfaces for databases, so an application needs this package only for a participant of its own.
 */
package io.quorumtx.tm.spi;
