package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class RestoreCommandTest {
    private final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true);

    @Test
    void takesIsoInstantsAndEpochMilliseconds() {
        assertThat(RestoreCommand.parseTime("2026-12-02T05:30:00Z")).isEqualTo(1_796_189_400_000L);
        assertThat(RestoreCommand.parseTime("1796189400123")).isEqualTo(1_796_189_400_123L);
        assertThatThrownBy(() -> RestoreCommand.parseTime("yesterday"))
                .hasMessageContaining("--to-time must be an ISO-8601 instant").hasMessageContaining("'yesterday'");
    }

    @Test
    void refusesAMissingTimeOrTargetAndAnUnknownTargetKind() {
        List<String> base = List.of("--shard", "pg-1", "--s3-endpoint", "http://127.0.0.1:9");
        assertThatThrownBy(() -> RestoreCommand.run(base, out, out))
                .hasMessageContaining("--to-time is required").hasMessageContaining("--target is required");
        List<String> oracle = new java.util.ArrayList<>(base);
        oracle.addAll(List.of("--to-time", "1", "--target", "jdbc:oracle:thin:@x"));
        assertThatThrownBy(() -> RestoreCommand.run(oracle, out, out))
                .hasMessageContaining("--target must be a jdbc:postgresql:, jdbc:mariadb: or jdbc:mysql: URL");
    }

    @Test
    void theJsonSummarySaysWhatTheRestoreDid() {
        com.fasterxml.jackson.databind.JsonNode o = RestoreCommand.summaryJson(new io.fleetshard.standby.RestoreSummary(
                "pg-1", 1_796_189_400_000L, 0, 0, 3, 120, 1_796_189_399_000L, null, 850));
        assertThat(o.path("shardId").asText()).isEqualTo("pg-1");
        assertThat(o.path("toTime").asText()).isEqualTo("2026-12-02T05:30:00Z");
        assertThat(o.path("snapshotAfterManifest").isNull()).isTrue();
        assertThat(o.path("manifestsReplayed").asLong()).isEqualTo(3);
        assertThat(o.path("eventsReplayed").asLong()).isEqualTo(120);
        assertThat(o.path("restoredToCommit").asText()).isEqualTo("2026-12-02T05:29:59Z");
        assertThatThrownBy(() -> RestoreCommand.run(List.of("--shard", "pg-1", "--s3-endpoint", "http://127.0.0.1:9",
                "--to-time", "1", "--target", "jdbc:postgresql://x/y", "--output", "xml"), out, out))
                .hasMessageContaining("--output must be text or json");
    }

    @Test
    void opensSealedTenantsWithAKeyDirectoryKmsOrTheDevDataDirsKeys(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertThat(RestoreCommand.keys(null, null, List.of()).keys()).isNull();
        assertThat(RestoreCommand.keys(dir.toString(), null, List.of()).keys()).isNotNull();
        assertThatThrownBy(() -> RestoreCommand.keys("d", "alias/{tenant}", List.of())).hasMessageContaining("exclude each other");
        assertThat(RestoreCommand.keys(null, null, List.of("--data-dir", dir.toString())).keys()).isNull();
        java.nio.file.Files.createDirectories(dir.resolve("archive-keys"));
        assertThat(RestoreCommand.keys(null, null, List.of("--data-dir", dir.toString())).keys()).isNotNull();
        assertThat(RestoreCommand.keys(null, null, List.of("--data-dir", dir.toString(), "--s3-endpoint", "http://s3"))
                .keys()).as("not the dev platform's archive").isNull();
    }
}
