package io.fleetshard.archiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArchiverConfigTest {
    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> ArchiverConfig.fromMap(Map.of("kafka.bootstrap.servers", "k:9092",
                "archive.tier", "gold", "segment.max.age.ms", "1", "archive.bucket", "Bad_Bucket", "segmnt.max.bytes", "9")))
                .isInstanceOf(ArchiverException.class)
                .hasMessageContaining("5 problems")
                .hasMessageContaining("unknown key 'segmnt.max.bytes'");
        assertThatThrownBy(() -> ArchiverConfig.fromMap(Map.of("kafka.bootstrap.servers", "k:9092",
                "archive.tier", "gold", "segment.max.age.ms", "1", "archive.bucket", "Bad_Bucket")))
                .hasMessageContaining("4 problems")
                .hasMessageContaining("archiver.id is required")
                .hasMessageContaining("archive.tier must be one of standard, enhanced, platinum, got 'gold'")
                .hasMessageContaining("segment.max.age.ms must be between 10 and 3600000, got 1")
                .hasMessageContaining("archive.bucket must be a valid S3 bucket name");
    }

    @Test
    void masksTheSecretKey() {
        ArchiverConfig c = ArchiverConfig.builder("k:9092", "a1").set(ArchiverConfig.Key.S3_ACCESS_KEY, "AK")
                .set(ArchiverConfig.Key.S3_SECRET_KEY, "very-secret").build();
        assertThat(c.toString()).contains("AK/******").doesNotContain("very-secret");
    }

    @Test
    void theReadmeTableIsTheOneTheKeysDefine() throws Exception {
        assertThat(Files.readString(Path.of("README.md"))).contains(ArchiverConfig.markdownTable());
    }

    @Test
    void shardOfATopicIsWhatFollowsThePrefix() {
        ArchiverConfig c = ArchiverConfig.builder("k:9092", "a1").build();
        assertThat(c.shardOf("fleetshard.shardlog.pg-1")).isEqualTo("pg-1");
        assertThat(c.shardOf("fleetshard.cdc.vehicles")).isNull();
        assertThat(c.shardOf("fleetshard.shardlog.")).isNull();
    }
}
