package io.fleetshard.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StreamProcessorsConfigTest {
    @Test
    void deltaSyncConfigReportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> DeltaSyncConfig.fromMap(Map.of("apply.batch.size", "0", "commit.interval.ms", "x",
                "aply.attempts", "2")))
                .isInstanceOf(StreamProcessorException.class)
                .hasMessageContaining("invalid delta sync configuration (4 problems)")
                .hasMessageContaining("unknown key 'aply.attempts'")
                .hasMessageContaining("commit.interval.ms must be a number, got 'x'")
                .hasMessageContaining("kafka.bootstrap.servers is required")
                .hasMessageContaining("apply.batch.size must be between 1 and 100000, got 0");
    }

    @Test
    void hotFleetConfigRejectsAnInputPatternThatMatchesItsOutput() {
        assertThatThrownBy(() -> HotFleetConfig.builder("k:9092").set(HotFleetConfig.Key.INPUT_PATTERN, "fleetshard\\..*")
                .set(HotFleetConfig.Key.THRESHOLD, 0).build())
                .hasMessageContaining("2 problems")
                .hasMessageContaining("matches the output topic 'fleetshard.hotfleets'")
                .hasMessageContaining("hotfleets.threshold must be between 1");
        assertThat(HotFleetConfig.builder("k:9092").build().inputPattern().matcher("fleetshard.cdc.dead-letters").matches()).isFalse();
        assertThat(HotFleetConfig.builder("k:9092").build().inputPattern().matcher("fleetshard.cdc.vehicles").matches()).isTrue();
    }

    @Test
    void aSpecIsValidByConstructionAndHidesTheTargetPassword() {
        assertThatThrownBy(() -> new DeltaSyncSpec("job 1", "", -1, Set.of("t1"), "jdbc:oracle:x"))
                .hasMessageContaining("jobId must be 1-64 of A-Z a-z 0-9 . _ -, got 'job 1'")
                .hasMessageContaining("sourceShardId is required")
                .hasMessageContaining("startOffset must be >= 0, got -1")
                .hasMessageContaining("fleet 't1' is not tenant/fleet")
                .hasMessageContaining("targetJdbcUrl must start with");
        DeltaSyncSpec s = new DeltaSyncSpec("j-1", "pg-1", 5, Set.of("t1/f1"), "jdbc:postgresql://h/db?user=u&password=secret");
        assertThat(s.applicationId()).isEqualTo("fleetshard-reshard-j-1");
        assertThat(s.toString()).doesNotContain("secret").contains("password=******");
    }

    @Test
    void theReadmeTablesAreTheOnesTheKeysDefine() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme).contains(DeltaSyncConfig.markdownTable()).contains(HotFleetConfig.markdownTable());
    }

    @Test
    void deltaSyncSlotsStayInTheirRange() {
        for (String id : new String[] {"a", "job-1", "zzzzzzzzzzzzzzzzzzzzzz", "-"}) {
            assertThat(JdbcTargetWriter.slotOf(id)).isBetween(1000, 1999);
        }
    }
}
