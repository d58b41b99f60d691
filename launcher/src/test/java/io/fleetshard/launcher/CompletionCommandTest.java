package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompletionCommandTest {
    @Test
    void theBashScriptCompletesEveryCommandAndItsVerbs(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertThat(CompletionCommand.run(List.of("bash"), print, print)).isZero();
        String script = out.toString(StandardCharsets.UTF_8);
        Path file = dir.resolve("fleetshard.bash");
        Files.writeString(file, script);
        // bash itself completes: the first word, then a verb of reshard
        assertThat(complete(file, "fleetshard", "")).contains("dev", "reshard", "failover", "switchover",
                "orchestrations", "archive", "restore", "tail", "completion", "sql", "offload");
        assertThat(complete(file, "fleetshard reshard", "")).contains("move", "split", "merge", "status");
        assertThat(complete(file, "fleetshard switchover", "--")).contains("--shard", "--to");
        assertThat(complete(file, "fleetshard reshard status --output", "")).containsExactly("text", "json");
        assertThat(complete(file, "fleetshard sql --format", "")).containsExactly("table", "tsv", "json");
        assertThat(complete(file, "fleetshard offload", "--d")).containsExactly("--dry-run", "--data-dir");
        assertThat(complete(file, "fleetshard offload --table", "")).containsExactly("vehicles", "telemetry");
    }

    @Test
    void anythingButBashIsAUsageError() {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThat(CompletionCommand.run(List.of("zsh"), sink, sink)).isEqualTo(2);
        assertThat(CompletionCommand.run(List.of(), sink, sink)).isEqualTo(2);
    }

    /** What the completion function offers for {@code line} followed by the partial word {@code cur}. */
    private static List<String> complete(Path script, String line, String cur) throws Exception {
        String words = line + " " + cur;
        String program = "source " + script + "; COMP_WORDS=(" + words.trim() + (cur.isEmpty() ? " ''" : "")
                + "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _fleetshard; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process p = new ProcessBuilder("bash", "-c", program).redirectErrorStream(true).start();
        String result = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(result).isZero();
        return result.lines().filter(l -> !l.isBlank()).toList();
    }
}
