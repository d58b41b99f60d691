package io.fleetshard.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fleetshard failover --shard S}, {@code fleetshard switchover --shard S [--to N]}, {@code fleetshard
 * failback|rejoin --shard S [--node N]}, {@code fleetshard promote-standby --shard S [--force]} and {@code fleetshard
 * orchestrations [ID]}: fail a shard over whose primary is down, switch one over as planned, bring a failed primary
 * back, recover a shard on its warm standby, and show orchestrations with every step, through the control API
 * (ADR 0015).
 */
final class FailoverCommand {
    static final String USAGE = """
            usage: fleetshard failover   --shard SHARD [--reason TEXT] [options]
                   fleetshard switchover --shard SHARD [--to NODE] [--reason TEXT] [options]
                   fleetshard failback   --shard SHARD [--node NODE] [--reason TEXT] [options]
                   fleetshard rejoin     --shard SHARD [--node NODE] [--reason TEXT] [options]
                   fleetshard promote-standby --shard SHARD [--force] [--reason TEXT] [options]
                   fleetshard orchestrations [ID]                     (no ID: every orchestration, newest first)
              failover promotes the shard's best replica when its primary does not answer (a primary that answers is
              refused); switchover moves the primary role to a replica (default: the synchronous one) while writes
              pause. failback makes the failed primary (default: the shard's one fenced node), once rebuilt as a
              replica of the current primary, a replica again and switches back to it; rejoin only makes a fenced,
              rebuilt node a replica (docs/runbooks/failback.md). promote-standby makes the shard's warm standby in
              the other region its primary when the shard's own region is lost (refused while a node there answers,
              unless --force; docs/runbooks/promote-standby.md). Each follows the orchestration step by step until
              it ends (exit 0 only when done).
            options:
              --control-api URL   default $FLEETSHARD_CONTROL_API or http://127.0.0.1:8081 (the dev platform)
              --token TOKEN       default $FLEETSHARD_TOKEN, else an operator token of the dev platform in --data-dir
              --data-dir DIR      the dev platform's data (default .fleetshard/dev), for its token secret
              --no-watch          start the failover and print it without following it
              --output json       print JSON instead of text""";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long POLL_MS = 200;

    private final String baseUrl;
    private final boolean json;
    private final PrintStream out;
    private final PrintStream err;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String token;

    private FailoverCommand(String baseUrl, String token, boolean json, PrintStream out, PrintStream err) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
        this.json = json;
        this.out = out;
        this.err = err;
    }

    /**
     * {@code verb} is {@code failover}, {@code switchover}, {@code failback}, {@code rejoin} or {@code orchestrations};
     * {@code args} what follows it.
     */
    static int run(String verb, List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(USAGE);
            return 0;
        }
        String shard = null;
        String to = null;
        String node = null;
        String reason = null;
        String tokenOption = null;
        String dataDir = null;
        String url = null;
        String output = "text";
        boolean watch = true;
        boolean force = false;
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--no-watch")) {
                watch = false;
                continue;
            }
            if (a.equals("--force")) {
                force = true;
                continue;
            }
            if (!a.startsWith("--")) {
                positional.add(a);
                continue;
            }
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(a + " needs a value\n" + USAGE);
            }
            String v = args.get(++i);
            switch (a) {
                case "--shard" -> shard = v;
                case "--to" -> to = v;
                case "--node" -> node = v;
                case "--reason" -> reason = v;
                case "--control-api" -> url = v;
                case "--output" -> output = v;
                case "--token" -> tokenOption = v;
                case "--data-dir" -> dataDir = v;
                default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
            }
        }
        if (!output.equals("text") && !output.equals("json")) {
            throw new IllegalArgumentException("--output must be text or json, got '" + output + "'");
        }
        if (!verb.equals("orchestrations") && (shard == null || !positional.isEmpty())) {
            throw new IllegalArgumentException(verb + " needs --shard SHARD (and nothing else)\n" + USAGE);
        }
        if (verb.equals("failover") && to != null) {
            throw new IllegalArgumentException("failover picks the replica itself; --to is for switchover\n" + USAGE);
        }
        if (node != null && !verb.equals("failback") && !verb.equals("rejoin")) {
            throw new IllegalArgumentException("--node is for failback and rejoin\n" + USAGE);
        }
        if (force && !verb.equals("promote-standby")) {
            throw new IllegalArgumentException("--force is for promote-standby\n" + USAGE);
        }
        if (to != null && !verb.equals("switchover")) {
            throw new IllegalArgumentException("--to is for switchover\n" + USAGE);
        }
        if (verb.equals("orchestrations") && (shard != null || reason != null || positional.size() > 1)) {
            throw new IllegalArgumentException("orchestrations takes at most one orchestration id\n" + USAGE);
        }
        if (url == null) {
            String env = System.getenv("FLEETSHARD_CONTROL_API");
            url = env == null || env.isBlank() ? "http://127.0.0.1:8081" : env;
        }
        ControlApiUrl.check(url);
        FailoverCommand cmd = new FailoverCommand(url, CliToken.resolve(tokenOption, dataDir, System.getenv()),
                output.equals("json"), out, err);
        try {
            if (!verb.equals("orchestrations")) {
                return cmd.start(verb, shard, to != null ? to : node, reason, force, watch);
            }
            return positional.isEmpty() ? cmd.list() : cmd.show(positional.get(0));
        } catch (ConnectException e) {
            err.println("fleetshard " + verb + ": cannot reach the control API at " + url + " (is `./fleetshard dev`"
                    + " running? else pass --control-api URL)");
            return 1;
        } catch (IOException e) {
            err.println("fleetshard " + verb + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** The last line of a followed orchestration: how it ended and, when it is done, where the shard is now. */
    static String endLine(JsonNode o) {
        // a rejoin's toNodeId is the node that returns as a replica, not a new primary; and an orchestration that
        // did not finish says nothing of where the shard ended up but through its steps
        boolean rejoin = o.path("kind").asText().equals("rejoin");
        boolean done = o.path("state").asText().equals("done");
        return o.path("state").asText() + " after " + o.path("durationMs").asLong() + " ms"
                + (!o.hasNonNull("toNodeId") ? ""
                        : !done ? "; the steps above say what was done (fleetshard orchestrations "
                                + o.path("orchestrationId").asText() + ")"
                        : rejoin ? "; node " + o.path("toNodeId").asText() + " returning as a replica of "
                                + o.path("fromNodeId").asText()
                        : "; primary now " + o.path("toNodeId").asText());
    }

    /** @param node the switchover's target ({@code to}), or the node a failback or rejoin returns ({@code node}) */
    private int start(String verb, String shard, String node, String reason, boolean force, boolean watch)
            throws IOException, InterruptedException {
        com.fasterxml.jackson.databind.node.ObjectNode b = JSON.createObjectNode();
        if (reason != null) {
            b.put("reason", reason);
        }
        if (force) {
            b.put("force", true);
        }
        if (node != null) {
            b.put(verb.equals("switchover") ? "to" : "node", node);
        }
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/shards/" + shard + "/" + verb))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        b.isEmpty() ? "" : b.toString())));
        if (r.statusCode() != 202) {
            return problem(verb, r);
        }
        JsonNode o = JSON.readTree(r.body());
        if (!watch) {
            print(o);
            return 0;
        }
        int shown = 0;
        if (!json) {
            out.println("orchestration " + o.path("orchestrationId").asText() + ": " + verb + " of " + shard
                    + " from " + o.path("fromNodeId").asText());
        }
        while (true) {
            JsonNode steps = o.path("steps");
            for (; !json && shown < steps.size(); shown++) {
                out.println("  " + stepLine(steps.get(shown)));
            }
            if (!o.path("state").asText().equals("running")) {
                if (json) {
                    out.println(o.toPrettyString());
                } else {
                    out.println(endLine(o));
                }
                return o.path("state").asText().equals("done") ? 0 : 1;
            }
            Thread.sleep(POLL_MS);
            HttpResponse<String> g = send(HttpRequest.newBuilder(uri("/v1/orchestrations/"
                    + o.path("orchestrationId").asText())).GET());
            if (g.statusCode() != 200) {
                return problem(verb, g);
            }
            o = JSON.readTree(g.body());
        }
    }

    private int list() throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/orchestrations")).GET());
        if (r.statusCode() != 200) {
            return problem("orchestrations", r);
        }
        JsonNode body = JSON.readTree(r.body());
        if (json) {
            out.println(body.toPrettyString());
            return 0;
        }
        if (body.path("orchestrations").isEmpty()) {
            out.println(body.path("failoverEnabled").asBoolean() ? "no orchestrations"
                    : "no orchestrations (failover is not enabled on this control API)");
        }
        for (JsonNode o : body.path("orchestrations")) {
            out.println(summary(o));
        }
        return 0;
    }

    private int show(String id) throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/orchestrations/" + id)).GET());
        if (r.statusCode() != 200) {
            return problem("orchestrations", r);
        }
        print(JSON.readTree(r.body()));
        return 0;
    }

    private void print(JsonNode o) {
        if (json) {
            out.println(o.toPrettyString());
            return;
        }
        out.println(summary(o));
        out.println("  trigger: " + o.path("trigger").asText());
        o.path("steps").forEach(s -> out.println("  " + stepLine(s)));
    }

    static String summary(JsonNode o) {
        return String.format("%-12s %-15s %-8s %-10s %s -> %s%s", o.path("orchestrationId").asText(),
                o.path("kind").asText(), o.path("shardId").asText(), o.path("state").asText(),
                o.path("fromNodeId").asText(), o.hasNonNull("toNodeId") ? o.path("toNodeId").asText() : "?",
                o.hasNonNull("durationMs") ? "  (" + o.path("durationMs").asLong() + " ms)" : "");
    }

    static String stepLine(JsonNode s) {
        return String.format("%-13s %-6s %5d ms  %s", s.path("step").asText(), s.path("ok").asBoolean() ? "ok"
                : "FAILED", s.path("durationMs").asLong(), s.path("detail").asText());
    }

    private int problem(String verb, HttpResponse<String> r) {
        String detail = r.body();
        try {
            JsonNode p = JSON.readTree(r.body());
            if (p.hasNonNull("detail")) {
                detail = p.path("detail").asText();
            }
        } catch (IOException e) {
            // not JSON: print it as it is
        }
        err.println("fleetshard " + verb + ": " + r.statusCode() + " " + detail + CliToken.hint(r.statusCode()));
        return 1;
    }

    private URI uri(String path) {
        return URI.create(baseUrl + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
