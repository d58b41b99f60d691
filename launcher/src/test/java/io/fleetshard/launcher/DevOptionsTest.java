package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevOptionsTest {

    @Test
    void defaultsAreTheDocumentedPortsAndDataDirectory() {
        DevOptions o = DevOptions.parse(List.of());
        assertThat(o.routerPort()).isEqualTo(8080);
        assertThat(o.controlPort()).isEqualTo(8081);
        assertThat(o.fresh()).isFalse();
        assertThat(o.dataDir()).isEqualTo(Path.of(".fleetshard", "dev").toAbsolutePath().normalize());
    }

    @Test
    void readsEveryOption() {
        DevOptions o = DevOptions.parse(List.of("--fresh", "--router-port", "9090", "--control-port", "9091",
                "--data-dir", "/tmp/x"));
        assertThat(o).isEqualTo(new DevOptions(Path.of("/tmp/x"), true, 9090, 9091));
    }

    @Test
    void reportsEveryProblemAtOnceWithTheUsage() {
        assertThatThrownBy(() -> DevOptions.parse(List.of("--router-port", "http", "--bogus", "--control-port")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--router-port must be a number, got 'http'")
                .hasMessageContaining("unknown option --bogus")
                .hasMessageContaining("--control-port needs a value")
                .hasMessageContaining("usage: fleetshard dev");
    }

    @Test
    void rejectsTheSamePortForBothApis() {
        assertThatThrownBy(() -> DevOptions.parse(List.of("--router-port", "8081")))
                .hasMessageContaining("must differ, both are 8081");
    }
}
