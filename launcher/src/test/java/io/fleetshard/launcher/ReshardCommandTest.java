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
        assertThat(ReshardCommand.progressLine(JSON.readTree("""
                {"phase":"done","progress":{"writeFreezeMs":46,"lastError":"no table public.fleetshard_fence"}}""")))
                .as("an error a step retried past is not shown beside done")
                .isEqualTo("done       done, write freeze 46 ms");
        assertThat(ReshardCommand.progressLine(JSON.readTree("""
                {"phase":"failed","progress":{"lastError":"checksums differ"}}""")))
                .endsWith("[last error: checksums differ]");
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
        for (String url : new String[] {"notaurl", "http://[::1", "127.0.0.1:8081", "ftp://h/"}) {
            assertThatThrownBy(() -> ReshardCommand.run(List.of("status", "--control-api", url), print, print))
                    .hasMessage("--control-api must be an http:// or https:// URL such as http://127.0.0.1:8081, got '"
                            + url + "'");
        }
    }

    @Test
    void aMoveRefusedBecauseCaptureIsNotStreamingSaysWhichShardAndWhenToRetry() throws Exception {
        String detail = "change capture of source shard pg-1 is still in its initial snapshot (its last position,"
                + " committed at 2026-12-06T18:00:00Z, is a snapshot read): rows copied now could reach the change"
                + " topics as snapshot reads (op r), and the delta sync, probe and fence need capture streaming."
                + " Retry once capture of pg-1 streams";
        List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            byte[] body = JSON.createObjectNode().put("type", "https://fleetshard.io/problems/capture-not-streaming")
                    .put("title", "Change capture not streaming").put("status", 409).put("detail", detail).toString()
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/problem+json");
            exchange.getResponseHeaders().add("Retry-After", "5");
            exchange.sendResponseHeaders(409, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = ReshardCommand.run(List.of("move", "--fleet", "acme/trucks", "--to", "pg-3", "--control-api",
                    "http://127.0.0.1:" + server.getAddress().getPort()), new PrintStream(out, true,
                    StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

            assertThat(exit).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8).strip())
                    .isEqualTo("fleetshard reshard: 409 " + detail + " (try again in 5 s)");
            assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
            assertThat(requests).as("nothing followed or retried").containsExactly("POST /v1/reshards");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void followedIntoALogOrAPipeEveryPhaseGetsLinesOfItsOwnWithoutCarriageReturns() throws Exception {
        List<String> states = List.of(
                "{\"phase\":\"precopy\",\"progress\":{\"copy\":{\"rowsCopied\":0,\"rowsTotal\":3}}}",
                "{\"phase\":\"precopy\",\"progress\":{\"copy\":{\"rowsCopied\":3,\"rowsTotal\":3}}}",
                "{\"phase\":\"catchup\",\"progress\":{\"delta\":{\"lagRecords\":-1}}}",
                "{\"phase\":\"catchup\",\"progress\":{\"delta\":{\"lagRecords\":-1}}}",
                "{\"phase\":\"cutover\",\"progress\":{}}",
                "{\"phase\":\"done\",\"progress\":{\"writeFreezeMs\":210},\"detail\":\"1 fleet(s) moved\"}");
        java.util.concurrent.atomic.AtomicInteger polls = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String body;
            int status;
            if (exchange.getRequestMethod().equals("POST")) {
                status = 202;
                body = "{\"jobId\":\"rs-1\",\"kind\":\"move\",\"fleets\":[\"acme/trucks\"],"
                        + "\"sourceShardId\":\"pg-2\",\"targetShardId\":\"pg-3\",\"phase\":\"precopy\"}";
            } else {
                status = 200;
                body = states.get(Math.min(polls.getAndIncrement(), states.size() - 1));
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = ReshardCommand.run(List.of("move", "--fleet", "acme/trucks", "--to", "pg-3", "--control-api",
                    "http://127.0.0.1:" + server.getAddress().getPort(), "--token", "t"),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()),
                    false);

            assertThat(exit).isZero();
            String printed = out.toString(StandardCharsets.UTF_8);
            assertThat(printed).doesNotContain("\r");
            assertThat(printed.lines().toList()).containsExactly(
                    "reshard job rs-1: move of 1 fleet(s) from pg-2 to pg-3 (follow: fleetshard reshard status rs-1)",
                    "precopy    [------------------------------]   0% 0/3 rows copied",
                    "precopy    [##############################] 100% 3/3 rows copied",
                    "catchup    delta sync starting (no lag reported yet)",
                    "cutover    writes of the moving fleets held; waiting for the target to apply through the fence",
                    "done       done, write freeze 210 ms",
                    "1 fleet(s) moved");
        } finally {
            server.stop(0);
        }
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
