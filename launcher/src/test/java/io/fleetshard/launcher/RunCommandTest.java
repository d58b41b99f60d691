package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {

    @Test
    void checkParsesTheConfigurationWithoutStartingAndNeverPrintsValues(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("capture.properties"),
                "kafka.bootstrap.servers=broker:9092\nworker.id=w-1\ndb.user=cdc\n");
        String verdict = RunCommand.check(List.of("capture", "--config", config.toString()),
                Map.of("FLEETSHARD_DB_PASSWORD", "hunter2-secret"));
        assertThat(verdict).startsWith("capture: configuration valid").contains("db.password", "worker.id")
                .doesNotContain("hunter2-secret", "broker:9092");
    }

    @Test
    void checkNamesWhatIsWrong(@TempDir Path dir) throws Exception {
        Path typo = Files.writeString(dir.resolve("typo.properties"),
                "kafka.bootstrap.servers=broker:9092\nworker.id=w-1\npoll.intervall.ms=5\n");
        assertThatThrownBy(() -> RunCommand.check(List.of("capture", "--config", typo.toString()), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("poll.intervall.ms");
        Path delta = Files.writeString(dir.resolve("streams.properties"),
                "kafka.bootstrap.servers=broker:9092\nhotfleets.threshold=-5\n");
        assertThatThrownBy(() -> RunCommand.check(List.of("stream-processors", "--config", delta.toString()), Map.of()))
                .hasMessageContaining("hotfleets.threshold");
        Path platform = Files.writeString(dir.resolve("platform.properties"), "admin.port=99999\n");
        Path ok = Files.writeString(dir.resolve("ok.properties"), "kafka.bootstrap.servers=b:9092\narchiver.id=a\n");
        assertThatThrownBy(() -> RunCommand.check(List.of("archiver", "--config", ok.toString(), "--platform",
                platform.toString()), Map.of())).hasMessageContaining("admin.port");
        Path wait = Files.writeString(dir.resolve("wait.properties"), "start.kafka.wait.ms=soon\n");
        assertThatThrownBy(() -> RunCommand.check(List.of("archiver", "--config", ok.toString(), "--platform",
                wait.toString()), Map.of())).hasMessageContaining("start.kafka.wait.ms must be a number of milliseconds");
        Path router = Files.writeString(dir.resolve("router.properties"),
                "router.auth.jwt.secret=jwt-secret-for-run-test-0123456789abcdef\n");
        Path mirror = Files.writeString(dir.resolve("mirror.properties"), "kafka.bootstrap.servers=b:9092\n"
                + "shardmap.mirror.table=fleetshard-shardmap\ndynamodb.access.key=AKIAEXAMPLE\n");
        assertThatThrownBy(() -> RunCommand.check(List.of("router", "--config", router.toString(), "--platform",
                mirror.toString()), Map.of("FLEETSHARD_ROUTER_TENANT_SECRET", "tenant-secret-for-run-test-0123456789")))
                .hasMessageContaining("dynamodb.secret.key");
    }

    @Test
    void theCommandExitsTwoWithTheProblemAndZeroWhenValid(@TempDir Path dir) throws Exception {
        Path ok = Files.writeString(dir.resolve("ok.properties"), "kafka.bootstrap.servers=b:9092\narchiver.id=a\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(RunCommand.run(List.of("archiver", "--config", ok.toString(), "--check"), print(out), print(err)))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("archiver: configuration valid");
        assertThat(RunCommand.run(List.of("archiver", "--check"), print(out), print(err))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--config FILE is required");
    }

    @Test
    void archiveEncryptionKeysAreCheckedWithTheArchiversAndTheAppliersOwn(@TempDir Path dir) throws Exception {
        Path sealed = Files.writeString(dir.resolve("sealed.properties"), "kafka.bootstrap.servers=b:9092\narchiver.id=a\n"
                + "archive.encryption.tenants=globex\narchive.encryption.local.dir=" + dir + "\n");
        assertThat(RunCommand.check(List.of("archiver", "--config", sealed.toString()), Map.of())).contains("configuration valid");
        Path missing = Files.writeString(dir.resolve("missing.properties"), "kafka.bootstrap.servers=b:9092\narchiver.id=a\n"
                + "archive.encryption.tenants=globex\narchive.encryption.providr=kms\n");
        assertThatThrownBy(() -> RunCommand.check(List.of("archiver", "--config", missing.toString()), Map.of()))
                .hasMessageContaining("archive.encryption.providr").hasMessageContaining("archive.encryption.local.dir is required");
    }

    private static PrintStream print(ByteArrayOutputStream b) {
        return new PrintStream(b, true, StandardCharsets.UTF_8);
    }
}
