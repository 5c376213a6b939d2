package io.quorumtx.it.realdb;

import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

import io.quorumtx.it.support.WrappingStyle;

/** Every topology with both wrapping styles: the parameters of every test in this package. */
final class Setups {
    private Setups() {
    }

    static Stream<Arguments> all() {
        return Topology.everyTestsOwn().stream()
                .flatMap(t -> Stream.of(WrappingStyle.values()).map(s -> Arguments.of(t, s)));
    }
}
