package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReshardCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void progressLineShowsABarWhileCopyingAndTheLagWhileCatchingUp() throws Exception {
        String copying = ReshardCommand.progressLine(JSON.readTree("""
                {"phase":"precopy","paused":false,"progress":{"copy":{"rowsCopied":2500,"rowsTotal":10000,"etaMs":1500}}}"""));
        assertThat(copying).isEqualTo("precopy    [#######-----------------------]  25% 2,500/10,000 rows copied, ETA 1.5 s");
        String catchingUp = ReshardCommand.progressLine(JSON.readTree("""
                {"phase":"catchup","paused":true,"progress":{"delta":{"lagRecords":42},"lastError":"boom"}}"""));
        assertThat(catchingUp).isEqualTo("catchup    (paused) delta lag 42 record(s)  [last error: boom]");
        String waitingForCapture = ReshardCommand.progressLine(JSON.readTree("""
                {"phase":"catchup","progress":{"delta":{"lagRecords":0,"probe":{"current":false,"sent":2,"waitingMs":\
                3400,"lastTripMs":13498,"detail":"probe 5 not yet in the source's shard log (capture is behind the source)"}}}}\
                """));
        assertThat(waitingForCapture).isEqualTo("catchup    delta lag 0 record(s); probe 5 not yet in the source's shard"
                + " log (capture is behind the source) (3400 ms ago)");
        assertThat(ReshardCommand.progressLine(JSON.readTree("""
                {"phase":"done","progress":{"writeFreezeMs":180}}"""))).isEqualTo("done       done, write freeze 180 ms");
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsSent() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ReshardCommand.run(List.of("move", "--to", "pg-2"), print, print))
                .hasMessageContaining("reshard move needs --fleet");
        assertThatThrownBy(() -> ReshardCommand.run(List.of("split", "--shard", "pg-1", "--into", "pg-4"), print, print))
                .hasMessageContaining("--into must be two shards, the split shard first: --into pg-1,NEW");
        assertThatThrownBy(() -> ReshardCommand.run(List.of("teleport"), print, print))
                .hasMessageContaining("unknown reshard command 'teleport'");
        assertThatThrownBy(() -> ReshardCommand.run(List.of("move", "--fleet", "a/b", "--to", "x", "--speed", "9"),
                print, print)).hasMessageContaining("unknown option --speed");
    }

    @Test
    void anUnreachableControlApiSaysWhereItLooked() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ReshardCommand.run(List.of("status", "--control-api", "http://127.0.0.1:1"),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot reach the control API at http://127.0.0.1:1");
    }
}
