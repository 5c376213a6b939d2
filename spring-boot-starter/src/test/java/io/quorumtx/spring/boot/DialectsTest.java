package io.quorumtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.jdbc.dialect.Dialect;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

class DialectsTest {
    @Test
    void theJdbcUrlChoosesTheDialect() {
        assertThat(Dialects.fromUrl("jdbc:h2:mem:x")).contains(Dialect.h2());
        assertThat(Dialects.fromUrl("jdbc:postgresql://db/app")).contains(Dialect.postgresql());
        assertThat(Dialects.fromUrl("jdbc:mariadb://db/app")).contains(Dialect.mysql());
        assertThat(Dialects.fromUrl("jdbc:mysql://db/app")).contains(Dialect.mysql());
        assertThat(Dialects.fromUrl("jdbc:oracle:thin:@db")).isEmpty();
    }

    @Test
    void anUnsupportedDatabaseIsRefusedWithTheWayOutAndWithoutTheUrlParameters() {
        DriverManagerDataSource oracle = new DriverManagerDataSource("jdbc:oracle:thin:@db?password=hunter2");

        assertThatThrownBy(() -> Dialects.detect(oracle, "legacyDb"))
                .hasMessageContaining("quorumtx.datasource.exclude=legacyDb")
                .hasMessageContaining("quorumtx.datasource.dialect.legacyDb")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void aDataSourceWithoutAUrlGetterIsAskedThroughAConnection() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:dialects-test");
        javax.sql.DataSource opaque = new org.springframework.jdbc.datasource.DelegatingDataSource(h2);

        assertThat(Dialects.detect(opaque, "opaque")).isEqualTo(Dialect.h2());
    }

    @Test
    void aConfiguredNameWinsAndABadOneIsNamed() {
        assertThat(Dialects.named("MariaDB", "x")).isEqualTo(Dialect.mysql());
        assertThatThrownBy(() -> Dialects.named("db2", "x")).hasMessageContaining("quorumtx.datasource.dialect.x");
    }
}
