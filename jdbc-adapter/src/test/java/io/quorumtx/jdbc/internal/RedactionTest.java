package io.quorumtx.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.jdbc.internal.shared.Redaction;
import org.junit.jupiter.api.Test;

class RedactionTest {

    @Test
    void passwordsInUrlsAreMaskedAndTheRestIsKept() {
        assertThat(Redaction.url("jdbc:postgresql://db:5432/bank?user=app&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db:5432/bank?user=app&password=***&ssl=true");
        assertThat(Redaction.url("jdbc:h2:/data/bank;USER=sa;PASSWORD=s3cret;WRITE_DELAY=0"))
                .isEqualTo("jdbc:h2:/data/bank;USER=sa;PASSWORD=***;WRITE_DELAY=0");
        assertThat(Redaction.url("jdbc:mariadb://db/bank?trustStorePassword=x&user=root"))
                .isEqualTo("jdbc:mariadb://db/bank?trustStorePassword=***&user=root");
        assertThat(Redaction.url("jdbc:h2:mem:x")).isEqualTo("jdbc:h2:mem:x");
        assertThat(Redaction.url((String) null)).isEqualTo("(unknown URL)");
    }
}
