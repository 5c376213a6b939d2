package io.quorumtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.xid.NodeIds;
import org.junit.jupiter.api.Test;

class NodeIdDefaultsTest {
    @Test
    void aShortHostNameKeepsItsFirstLabel() {
        assertThat(NodeIdDefaults.fromHostName("web-1.prod.example.com")).isEqualTo("web-1");
    }

    @Test
    void charactersOutsideTheNodeIdAlphabetBecomeDashes() {
        assertThat(NodeIdDefaults.fromHostName("Ünïcode host")).isEqualTo("-n-code-host");
        assertThat(NodeIds.isValid(NodeIdDefaults.fromHostName("Ünïcode host"))).isTrue();
    }

    @Test
    void longHostNamesSharingAPrefixStayDistinctAndValid() {
        String a = NodeIdDefaults.fromHostName("orders-service-deployment-7f9c8d5b4-abcde");
        String b = NodeIdDefaults.fromHostName("orders-service-deployment-7f9c8d5b4-fghij");

        assertThat(a).hasSize(NodeIds.MAX_LENGTH).startsWith("orders-service-d");
        assertThat(NodeIds.isValid(a)).isTrue();
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void anEmptyHostNameGivesAUsableId() {
        assertThat(NodeIdDefaults.fromHostName("")).isEqualTo("quorumtx-node");
        assertThat(NodeIdDefaults.resolve(" configured-1 ")).isEqualTo("configured-1");
    }
}
