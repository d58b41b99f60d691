package io.fleetshard.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code fleetshard reshard ...}: plans moves, splits and merges through the control API ({@code /v1/reshards}) and
 * follows a job with a live progress line per phase until it ends (ADR 0013).
 */
final class ReshardCommand {
    static final String USAGE = """
            usage: fleetshard reshard move   --fleet TENANT/FLEET --to SHARD   [options]
                   fleetshard reshard split  --shard S --into S,NEW           [options]
                   fleetshard reshard merge  --shard S --into TARGET          [options]
                   fleetshard reshard status [JOB]                            (no JOB: every job)
                   fleetshard reshard pause|resume|cancel JOB
              move, split and merge start a job and follow it (rows copied / total, delta lag, ETA) until it is done,
              cancelled or failed (exit 0 only when done); Ctrl-C stops following, not the job.
            options:
              --control-api URL   default $FLEETSHARD_CONTROL_API or http://127.0.0.1:8081 (the dev platform)
              --token TOKEN       default $FLEETSHARD_TOKEN, else an operator token of the dev platform in --data-dir
              --data-dir DIR      the dev platform's data (default .fleetshard/dev), for its token secret
              --no-watch          start the job and print it without following it
              --output json       print JSON instead of text""";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ENDED = Set.of("done", "cancelled", "failed");
    private static final long POLL_MS = 250;
    private static final long PIPED_EVERY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

    private final String baseUrl;
    private final boolean json;
    private final PrintStream out;
    private final PrintStream err;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String token;
    /** Output to a terminal: the progress line is rewritten in place; else a new line per change (logs, pipes). */
    private final boolean terminal;

    private ReshardCommand(String baseUrl, String token, boolean json, PrintStream out, PrintStream err,
            boolean terminal) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
        this.json = json;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        return run(args, out, err, System.console() != null);
    }

    static int run(List<String> args, PrintStream out, PrintStream err, boolean terminal) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            out.println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        String verb = args.get(0);
        Map<String, String> opts = new LinkedHashMap<>();
        List<String> positional = new ArrayList<>();
        boolean watch = true;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--no-watch")) {
                watch = false;
            } else if (a.startsWith("--")) {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException(a + " needs a value\n" + USAGE);
                }
                opts.put(a, args.get(++i));
            } else {
                positional.add(a);
            }
        }
        String env = System.getenv("FLEETSHARD_CONTROL_API");
        String url = ControlApiUrl.check(opts.getOrDefault("--control-api",
                env == null || env.isBlank() ? "http://127.0.0.1:8081" : env));
        String output = opts.getOrDefault("--output", "text");
        if (!output.equals("text") && !output.equals("json")) {
            throw new IllegalArgumentException("--output must be text or json, got '" + output + "'");
        }
        String token = CliToken.resolve(opts.get("--token"), opts.get("--data-dir"), System.getenv());
        ReshardCommand cmd = new ReshardCommand(url, token, output.equals("json"), out, err, terminal);
        try {
            return switch (verb) {
                case "move" -> cmd.start(body("move", Map.of("fleet", required(opts, "--fleet", verb),
                        "to", required(opts, "--to", verb)), allowed(opts, "--fleet", "--to")), watch);
                case "split" -> {
                    String shard = required(opts, "--shard", verb);
                    String[] into = required(opts, "--into", verb).split(",");
                    if (into.length != 2) {
                        throw new IllegalArgumentException("--into must be two shards, the split shard first: --into "
                                + shard + ",NEW");
                    }
                    ObjectNode b = body("split", Map.of("shard", shard), allowed(opts, "--shard", "--into"));
                    b.putArray("into").add(into[0].trim()).add(into[1].trim());
                    yield cmd.start(b, watch);
                }
                case "merge" -> cmd.start(body("merge", Map.of("shard", required(opts, "--shard", verb),
                        "into", required(opts, "--into", verb)), allowed(opts, "--shard", "--into")), watch);
                case "status" -> positional.isEmpty() ? cmd.list() : cmd.status(positional.get(0));
                case "pause", "resume", "cancel" -> {
                    if (positional.size() != 1) {
                        throw new IllegalArgumentException(verb + " needs one job id\n" + USAGE);
                    }
                    yield cmd.action(positional.get(0), verb);
                }
                default -> throw new IllegalArgumentException("unknown reshard command '" + verb + "'\n" + USAGE);
            };
        } catch (ConnectException e) {
            err.println("fleetshard reshard: cannot reach the control API at " + url + " (is `./fleetshard dev`"
                    + " running? else pass --control-api URL)");
            return 1;
        } catch (IOException e) {
            err.println("fleetshard reshard: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private static Map<String, String> allowed(Map<String, String> opts, String... names) {
        Set<String> ok = Set.of(names);
        for (String k : opts.keySet()) {
            if (!ok.contains(k) && !Set.of("--control-api", "--output", "--token", "--data-dir").contains(k)) {
                throw new IllegalArgumentException("unknown option " + k + "\n" + USAGE);
            }
        }
        return opts;
    }

    private static String required(Map<String, String> opts, String name, String verb) {
        String v = opts.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("reshard " + verb + " needs " + name + "\n" + USAGE);
        }
        return v;
    }

    private static ObjectNode body(String kind, Map<String, String> fields, Map<String, String> checked) {
        ObjectNode b = JSON.createObjectNode().put("kind", kind);
        fields.forEach(b::put);
        return b;
    }

    private int start(ObjectNode body, boolean watch) throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/reshards"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        if (r.statusCode() != 202) {
            return problem(r);
        }
        JsonNode job = JSON.readTree(r.body());
        if (!watch) {
            print(job);
            return 0;
        }
        if (!json) {
            out.println("reshard job " + job.path("jobId").asText() + ": " + job.path("kind").asText() + " of "
                    + job.path("fleets").size() + " fleet(s) from " + job.path("sourceShardId").asText() + " to "
                    + job.path("targetShardId").asText() + " (follow: fleetshard reshard status "
                    + job.path("jobId").asText() + ")");
        }
        return follow(job.path("jobId").asText());
    }

    private int follow(String jobId) throws IOException, InterruptedException {
        String lastPhase = null;
        String lastLine = "";
        String unprinted = null;
        long lastPrinted = 0;
        while (true) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/reshards/" + jobId)).GET());
            if (r.statusCode() != 200) {
                if (terminal && lastPhase != null && !json) {
                    out.println();
                }
                return problem(r);
            }
            JsonNode job = JSON.readTree(r.body());
            String phase = job.path("phase").asText();
            boolean ended = ENDED.contains(phase);
            if (json) {
                if (!phase.equals(lastPhase) || ended) {
                    out.println(job);
                }
            } else if (terminal) {
                String line = progressLine(job);
                if (lastPhase != null && !phase.equals(lastPhase)) {
                    out.println();
                    lastLine = "";
                }
                // padded over what is left of a longer previous line
                out.print("\r" + line + " ".repeat(Math.max(0, lastLine.length() - line.length())));
                out.flush();
                lastLine = line;
            } else {
                // a log or a pipe: a line per phase, a changed line at most every few seconds within one, and the
                // phase's last line before the next phase's first
                String line = progressLine(job);
                long now = System.nanoTime();
                boolean newPhase = !phase.equals(lastPhase);
                if (newPhase && unprinted != null) {
                    out.println(unprinted);
                }
                unprinted = null;
                if (newPhase || ended || (!line.equals(lastLine) && now - lastPrinted >= PIPED_EVERY_NANOS)) {
                    out.println(line);
                    lastLine = line;
                    lastPrinted = now;
                } else if (!line.equals(lastLine)) {
                    unprinted = line;
                }
            }
            lastPhase = phase;
            if (ended) {
                if (!json) {
                    if (terminal) {
                        out.println();
                    }
                    if (job.hasNonNull("detail")) {
                        out.println(job.path("detail").asText());
                    }
                }
                return phase.equals("done") ? 0 : 1;
            }
            Thread.sleep(POLL_MS);
        }
    }

    /** Where catch-up's probe of capture and the delta sync is (ADR 0033), while it is not through yet. */
    private static String probe(JsonNode probe) {
        if (probe.isMissingNode() || probe.path("current").asBoolean()) {
            return "";
        }
        return "; " + probe.path("detail").asText() + (probe.path("waitingMs").asLong() > 0 ? " ("
                + probe.path("waitingMs").asLong() + " ms ago)" : "");
    }

    /** One line for the job's phase: a bar of rows copied or validated, the delta lag, an ETA. */
    static String progressLine(JsonNode job) {
        String phase = job.path("phase").asText();
        JsonNode p = job.path("progress");
        String head = String.format(Locale.ROOT, "%-10s", phase) + (job.path("paused").asBoolean() ? " (paused)" : "");
        String line = switch (phase) {
            case "precopy" -> bar(p.path("copy").path("rowsCopied").asLong(), p.path("copy").path("rowsTotal").asLong(),
                    "rows copied") + eta(p.path("copy").path("etaMs"));
            case "catchup" -> (p.path("delta").path("lagRecords").asLong(-1) < 0
                    ? "delta sync starting (no lag reported yet)"
                    : "delta lag " + p.path("delta").path("lagRecords").asLong() + " record(s)")
                    + eta(p.path("delta").path("etaMs")) + probe(p.path("delta").path("probe"));
            case "cutover" -> "writes of the moving fleets held; waiting for the target to apply through the fence";
            case "validate" -> bar(p.path("validation").path("rowsValidated").asLong(),
                    p.path("validation").path("rowsTotal").asLong(), "rows validated")
                    + eta(p.path("validation").path("etaMs"));
            case "cleanup" -> p.path("rowsCleaned").asLong() + " moved row(s) deleted from the source";
            case "done" -> "done" + (p.has("writeFreezeMs") ? ", write freeze " + p.path("writeFreezeMs").asLong()
                    + " ms" : "");
            default -> "";
        };
        // a retried step's error helps while the job runs or once it failed; beside "done" it reads as a failure
        boolean ended = phase.equals("done") || phase.equals("cancelled");
        String error = p.hasNonNull("lastError") && !ended ? "  [last error: " + p.path("lastError").asText() + "]"
                : "";
        return head + " " + line + error;
    }

    private static String bar(long done, long total, String what) {
        if (total <= 0) {
            return done + " " + what;
        }
        int width = 30;
        int filled = (int) Math.min(width, done * width / total);
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "] "
                + String.format(Locale.ROOT, "%3d%% %,d/%,d %s", done * 100 / total, done, total, what);
    }

    private static String eta(JsonNode etaMs) {
        return etaMs.isNumber() && etaMs.asLong() >= 0
                ? String.format(Locale.ROOT, ", ETA %.1f s", etaMs.asLong() / 1000.0) : "";
    }

    private int list() throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/reshards")).GET());
        if (r.statusCode() != 200) {
            return problem(r);
        }
        JsonNode body = JSON.readTree(r.body());
        if (json) {
            out.println(body);
            return 0;
        }
        if (body.path("reshards").isEmpty()) {
            out.println("no reshard jobs");
        }
        for (JsonNode j : body.path("reshards")) {
            out.println(String.format(Locale.ROOT, "%-28s %-6s %-8s -> %-8s %3d fleet(s)  %s", j.path("jobId").asText(),
                    j.path("kind").asText(), j.path("sourceShardId").asText(), j.path("targetShardId").asText(),
                    j.path("fleets").size(), progressLine(j)));
        }
        return 0;
    }

    private int status(String jobId) throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/reshards/" + jobId)).GET());
        if (r.statusCode() != 200) {
            return problem(r);
        }
        print(JSON.readTree(r.body()));
        return 0;
    }

    private int action(String jobId, String verb) throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/reshards/" + jobId + "/" + verb))
                .POST(HttpRequest.BodyPublishers.noBody()));
        if (r.statusCode() / 100 != 2) {
            return problem(r);
        }
        print(JSON.readTree(r.body()));
        return 0;
    }

    private void print(JsonNode job) {
        if (json) {
            out.println(job);
            return;
        }
        out.println(job.path("jobId").asText() + "  " + job.path("kind").asText() + " " + job.path("sourceShardId")
                .asText() + " -> " + job.path("targetShardId").asText() + "  fleets " + job.path("fleets"));
        out.println("  " + progressLine(job));
        if (job.hasNonNull("detail")) {
            out.println("  " + job.path("detail").asText());
        }
    }

    private int problem(HttpResponse<String> r) {
        String detail = r.body();
        try {
            JsonNode p = JSON.readTree(r.body());
            if (p.hasNonNull("detail")) {
                detail = p.path("detail").asText();
            }
        } catch (IOException e) {
            // not JSON: print it as it is
        }
        // a refusal that passes by itself (409 capture-not-streaming, ADR 0036; 503) says when to try again
        String retry = r.headers().firstValue("Retry-After").map(s -> " (try again in " + s + " s)").orElse("");
        err.println("fleetshard reshard: " + r.statusCode() + " " + detail + retry + CliToken.hint(r.statusCode()));
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
