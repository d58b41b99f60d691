package io.fleetshard.standby;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StandbyApplierConfigTest {

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> StandbyApplierConfig.fromMap(Map.of("poll.interval.ms", "soon", "pol.interval.ms", "5")))
                .isInstanceOf(StandbyException.class)
                .hasMessageContaining("2 problems")
                .hasMessageContaining("unknown key 'pol.interval.ms'")
                .hasMessageContaining("poll.interval.ms must be a number, got 'soon'");
        assertThatThrownBy(() -> StandbyApplierConfig.fromMap(Map.of("batch.size", "0", "retry.backoff.ms", "5000",
                "retry.backoff.max.ms", "100")))
                .hasMessageContaining("2 problems")
                .hasMessageContaining("batch.size must be between 1 and 100000, got 0")
                .hasMessageContaining("retry.backoff.max.ms (100) must be at least retry.backoff.ms (5000)");
    }

    @Test
    void defaultsAreSnapshotsOffAndAFifthOfASecondPoll() {
        StandbyApplierConfig c = StandbyApplierConfig.defaults();
        assertThat(c.pollIntervalMs()).isEqualTo(200);
        assertThat(c.snapshotsEnabled()).isFalse();
        assertThat(StandbyApplierConfig.fromMap(Map.of("snapshot.every.manifests", "100")).snapshotsEnabled()).isTrue();
    }

    @Test
    void aCaughtUpStandbyLooksLessOftenWhileNothingComesBoundedByPollIdleMax() {
        StandbyApplierConfig defaults = StandbyApplierConfig.defaults();
        assertThat(StandbyApplier.nextIdlePauseMs(200, defaults)).as("a fixed pause by default").isEqualTo(200);
        StandbyApplierConfig slow = StandbyApplierConfig.fromMap(Map.of("poll.interval.ms", "2000"));
        assertThat(StandbyApplier.nextIdlePauseMs(2000, slow)).isEqualTo(2000);
        StandbyApplierConfig c = StandbyApplierConfig.fromMap(Map.of("poll.idle.max.ms", "1000"));
        long pause = c.pollIntervalMs();
        StringBuilder pauses = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            pauses.append(pause).append(' ');
            pause = StandbyApplier.nextIdlePauseMs(pause, c);
        }
        assertThat(pauses.toString().trim()).isEqualTo("200 400 800 1000 1000 1000");

        StandbyApplierConfig fixed = StandbyApplierConfig.fromMap(Map.of("poll.interval.ms", "50",
                "poll.idle.max.ms", "50"));
        assertThat(StandbyApplier.nextIdlePauseMs(50, fixed)).isEqualTo(50);
        assertThatThrownBy(() -> StandbyApplierConfig.fromMap(Map.of("poll.interval.ms", "2000",
                "poll.idle.max.ms", "1000")))
                .hasMessageContaining("poll.idle.max.ms (1000) must be at least poll.interval.ms (2000)");
    }

    @Test
    void masksThePassword() {
        StandbyApplierConfig c = StandbyApplierConfig.fromMap(Map.of("db.user", "standby", "db.password", "s3cret"));
        assertThat(c.toString()).doesNotContain("s3cret").contains("******").contains("standby");
    }

    @Test
    void readmeTableIsRenderedFromTheKeyDefinitions() throws Exception {
        assertThat(Files.readString(Path.of("README.md"))).contains(StandbyApplierConfig.markdownTable());
    }
}
