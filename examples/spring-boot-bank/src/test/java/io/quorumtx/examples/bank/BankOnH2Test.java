package io.quorumtx.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.quorumtx.micrometer.CommitObservationContext;
import io.quorumtx.micrometer.CommitPhaseObservationContext;
import io.quorumtx.tm.spi.CommitPhase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The bank on two H2 file databases, as the example ships, served on a real port: besides the
 * shared scenarios, what the starter adds to Actuator — the meters counting what happened, the
 * commit traced with its phases as children, and the {@code quorumtx} health over HTTP.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"quorumtx.node-id=bank-h2-test", "bank.accounts=10", "bank.initial-balance=1000"})
@Import(BankOnH2Test.RecordObservations.class)
class BankOnH2Test extends BankScenarios {
    static final List<Observation.Context> STOPPED = new CopyOnWriteArrayList<>();

    @TestConfiguration(proxyBeanMethods = false)
    static class RecordObservations {
        @Bean
        ObservationHandler<Observation.Context> recordingHandler() {
            return new ObservationHandler<>() {
                @Override
                public void onStop(Observation.Context context) {
                    STOPPED.add(context);
                }

                @Override
                public boolean supportsContext(Observation.Context context) {
                    return true;
                }
            };
        }
    }

    @LocalServerPort
    int port;
    @Autowired
    MeterRegistry meters;

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) throws IOException {
        Path dir = Files.createTempDirectory("quorumtx-bank-h2");
        registry.add("bank.a.jdbc-url", () -> "jdbc:h2:file:" + dir.resolve("bank-a") + ";WRITE_DELAY=0");
        registry.add("bank.b.jdbc-url", () -> "jdbc:h2:file:" + dir.resolve("bank-b") + ";WRITE_DELAY=0");
        registry.add("quorumtx.log.directory", () -> dir.resolve("txlog").toString());
    }

    @Test
    void metersCountCommitsAndRollbacksAndTheCommitIsTracedWithItsPhases() {
        double committed = count("committed");
        double rolledBack = count("rolled_back");
        STOPPED.clear();

        transfers.transfer("m-1", 1, 2, 10);
        assertThatThrownBy(() -> transfers.transfer("m-2", 1, 2, 10 * INITIAL))
                .isInstanceOf(TransferService.InsufficientFundsException.class);

        assertThat(count("committed")).isEqualTo(committed + 1);
        assertThat(count("rolled_back")).isEqualTo(rolledBack + 1);
        List<Observation.Context> commits = STOPPED.stream()
                .filter(c -> c instanceof CommitObservationContext).toList();
        assertThat(commits).as("one commit observation: the rolled-back transfer never committed").hasSize(1);
        List<CommitPhase> childPhases = STOPPED.stream()
                .filter(c -> c instanceof CommitPhaseObservationContext
                        && c.getParentObservation() != null
                        && c.getParentObservation().getContextView() == commits.get(0))
                .map(c -> ((CommitPhaseObservationContext) c).phase()).toList();
        assertThat(childPhases).as("prepare, log and phase 2 as children of the commit")
                .contains(CommitPhase.PREPARE, CommitPhase.LOG, CommitPhase.PHASE2);
    }

    @Test
    void actuatorShowsTheQuorumtxHealthAndMetersOverHttp() throws Exception {
        transfers.transfer("h-1", 1, 2, 1);

        String health = get("/actuator/health/quorumtx");
        assertThat(health).contains("\"status\":\"UP\"").contains("\"inDoubtBranches\":0")
                .contains("\"node\":\"bank-h2-test\"");
        String metric = get("/actuator/metrics/quorumtx.transactions");
        assertThat(metric).contains("\"outcome\"").contains("committed");
    }

    private double count(String outcome) {
        var counter = meters.find("quorumtx.transactions").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    private String get(String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return response.body();
    }
}
