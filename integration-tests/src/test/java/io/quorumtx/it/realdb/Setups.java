package io.quorumtx.it.realdb;

import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

import io.quorumtx.it.support.WrappingStyle;

/**
 * The topologies and wrapping styles the end-to-end tests of this package run with.
 *
 * <p>By default three combinations, chosen so that each database's own code is met: PostgreSQL
 * and MariaDB each through QuorumTX's dialect (its PREPARE TRANSACTION / XA statements, its
 * recovery query, two databases of one server in one transaction), and H2 + PostgreSQL + MariaDB
 * in one transaction through the drivers' own XADataSources. The other three combinations take the
 * same protocol path through the same database code, so in {@code mvn -B verify} they only cost
 * time; {@link #EVERY_COMBINATION} ({@code -Dquorumtx.realdb.everyCombination=true}) runs every
 * topology with both styles.
 */
final class Setups {
    /** {@code -Dquorumtx.realdb.everyCombination=true}: every topology with both wrapping styles. */
    static final boolean EVERY_COMBINATION = Boolean.getBoolean("quorumtx.realdb.everyCombination");

    private Setups() {
    }

    static Stream<Arguments> all() {
        if (EVERY_COMBINATION) {
            return Topology.everyTestsOwn().stream()
                    .flatMap(t -> Stream.of(WrappingStyle.values()).map(s -> Arguments.of(t, s)));
        }
        return Stream.of(
                Arguments.of(Topology.POSTGRESQL, WrappingStyle.DIALECT),
                Arguments.of(Topology.MARIADB, WrappingStyle.DIALECT),
                Arguments.of(Topology.MIXED, WrappingStyle.XA));
    }
}
