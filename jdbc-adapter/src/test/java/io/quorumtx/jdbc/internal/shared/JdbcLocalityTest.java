package io.quorumtx.jdbc.internal.shared;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The documented rule that decides BranchExecution.AUTO: which JDBC URLs name an embedded database. */
class JdbcLocalityTest {

    @ParameterizedTest(name = "{0} in-process: {1}")
    @CsvSource({
            "jdbc:h2:mem:bank, true",
            "jdbc:h2:file:/var/lib/bank;WRITE_DELAY=0, true",
            "jdbc:h2:./target/bank, true",
            "JDBC:H2:FILE:/x;AUTO_SERVER=TRUE, true",
            "jdbc:h2:tcp://db:9092/bank, false",
            "jdbc:h2:ssl://db:9092/bank, false",
            "jdbc:hsqldb:mem:bank, true",
            "jdbc:hsqldb:hsql://db/bank, false",
            "jdbc:derby:memory:bank;create=true, true",
            "jdbc:derby://db:1527/bank, false",
            "jdbc:postgresql://127.0.0.1:5432/quorumtx_a, false",
            "jdbc:mariadb://127.0.0.1:3306/quorumtx_a, false",
            "jdbc:mysql://db/bank, false",
            "jdbc:oracle:thin:@db:1521/bank, false"})
    void embeddedDatabasesAreInProcessAndServersAreNot(String url, boolean inProcess) {
        assertThat(JdbcLocality.inProcess(url)).isEqualTo(inProcess);
    }

    @ParameterizedTest
    @CsvSource({"''", "(unknown URL)"})
    void anUnknownUrlCountsAsAServer(String url) {
        assertThat(JdbcLocality.inProcess(url)).isFalse();
        assertThat(JdbcLocality.inProcess((String) null)).isFalse();
    }
}
