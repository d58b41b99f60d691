package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailoverCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anOrchestrationPrintsAsOneLineAndAStepWithItsTime() throws Exception {
        assertThat(FailoverCommand.summary(JSON.readTree("""
                {"orchestrationId":"fo-1","kind":"failover","shardId":"pg-1","state":"done","fromNodeId":"pg-1-a",
                 "toNodeId":"pg-1-b","durationMs":1100}""")))
                .isEqualTo("fo-1         failover        pg-1     done       pg-1-a -> pg-1-b  (1100 ms)");
        assertThat(FailoverCommand.summary(JSON.readTree("""
                {"orchestrationId":"fo-2","kind":"failover","shardId":"pg-2","state":"running","fromNodeId":"pg-2-a",
                 "toNodeId":null,"endedAtMs":null}""")))
                .isEqualTo("fo-2         failover        pg-2     running    pg-2-a -> ?");
        assertThat(FailoverCommand.stepLine(JSON.readTree("""
                {"step":"promote","ok":true,"durationMs":130,"detail":"pg-1-b promoted"}""")))
                .isEqualTo("promote       ok       130 ms  pg-1-b promoted");
        assertThat(FailoverCommand.stepLine(JSON.readTree("""
                {"step":"capture-reset","ok":true,"durationMs":133,"detail":"capture reset"}""")))
                .as("the longest step name keeps the columns")
                .isEqualTo("capture-reset ok       133 ms  capture reset");
        assertThat(FailoverCommand.summary(JSON.readTree("""
                {"orchestrationId":"dr-1","kind":"promote-standby","shardId":"pg-2","state":"done",
                 "fromNodeId":"pg-2-a","toNodeId":"pg-2-dr","durationMs":1633}""")))
                .isEqualTo("dr-1         promote-standby pg-2     done       pg-2-a -> pg-2-dr  (1633 ms)");
    }

    @Test
    void theEndLineNamesTheNewPrimaryOnlyWhenTheOrchestrationIsDone() throws Exception {
        assertThat(FailoverCommand.endLine(JSON.readTree("""
                {"orchestrationId":"fb-1","kind":"failback","state":"done","fromNodeId":"pg-1-b",
                 "toNodeId":"pg-1-a","durationMs":9000}"""))).isEqualTo("done after 9000 ms; primary now pg-1-a");
        assertThat(FailoverCommand.endLine(JSON.readTree("""
                {"orchestrationId":"fb-2","kind":"failback","state":"failed","fromNodeId":"pg-1-b",
                 "toNodeId":"pg-1-a","durationMs":60130}"""))).isEqualTo("failed after 60130 ms; the steps above say"
                + " what was done (fleetshard orchestrations fb-2)");
        assertThat(FailoverCommand.endLine(JSON.readTree("""
                {"orchestrationId":"rj-1","kind":"rejoin","state":"done","fromNodeId":"pg-1-b",
                 "toNodeId":"pg-1-a","durationMs":500}""")))
                .isEqualTo("done after 500 ms; node pg-1-a returning as a replica of pg-1-b");
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsSent() {
        PrintStream print = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> FailoverCommand.run("failover", List.of(), print, print))
                .hasMessageContaining("failover needs --shard SHARD");
        assertThatThrownBy(() -> FailoverCommand.run("switchover", List.of("pg-1"), print, print))
                .hasMessageContaining("switchover needs --shard SHARD");
        assertThatThrownBy(() -> FailoverCommand.run("orchestrations", List.of("--control-api", "notaurl"), print,
                print)).hasMessageContaining("--control-api must be an http:// or https:// URL").hasMessageContaining(
                "got 'notaurl'");
        assertThatThrownBy(() -> FailoverCommand.run("failover", List.of("--shard", "pg-1", "--to", "pg-1-b"), print,
                print)).hasMessageContaining("--to is for switchover");
        assertThatThrownBy(() -> FailoverCommand.run("failover", List.of("--shard", "pg-1", "--speed", "9"), print,
                print)).hasMessageContaining("unknown option --speed");
        assertThatThrownBy(() -> FailoverCommand.run("failback", List.of("--shard", "pg-1", "--to", "pg-1-a"), print,
                print)).hasMessageContaining("--to is for switchover");
        assertThatThrownBy(() -> FailoverCommand.run("switchover", List.of("--shard", "pg-1", "--node", "pg-1-b"),
                print, print)).hasMessageContaining("--node is for failback and rejoin");
        assertThatThrownBy(() -> FailoverCommand.run("rejoin", List.of("--node", "pg-1-b"), print, print))
                .hasMessageContaining("rejoin needs --shard SHARD");
        assertThatThrownBy(() -> FailoverCommand.run("orchestrations", List.of("a", "b"), print, print))
                .hasMessageContaining("at most one orchestration id");
        assertThatThrownBy(() -> FailoverCommand.run("failover", List.of("--shard", "pg-1", "--output", "xml"),
                print, print)).hasMessageContaining("--output must be text or json");
    }

    @Test
    void anUnreachableControlApiIsSaidPlainly() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = FailoverCommand.run("orchestrations", List.of("--control-api", "http://127.0.0.1:1"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), e);
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot reach the control API at http://127.0.0.1:1");
    }
}
