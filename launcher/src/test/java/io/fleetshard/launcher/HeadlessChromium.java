package io.fleetshard.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.testkit.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A headless Chromium (Debian's {@code chromium} package) driven over the Chrome DevTools Protocol with the JDK's
 * WebSocket client: no WebDriver, no extra dependency (ADR 0022). One page; the test types into it, clicks, waits for
 * conditions written as JavaScript expressions, and saves screenshots. The browser runs with a profile directory of
 * its own on an ephemeral debugging port bound to 127.0.0.1, and is killed with its child processes on close.
 */
final class HeadlessChromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    /** Uncaught exceptions and console errors of the page, for failure messages. */
    private final List<String> pageErrors = new CopyOnWriteArrayList<>();

    private HeadlessChromium(Process process, WebSocket socket) {
        this.process = process;
        this.socket = socket;
    }

    /** The Chromium binary: {@code $FLEETSHARD_CHROMIUM}, else {@code chromium} or {@code chromium-browser} on the PATH. */
    static Optional<Path> binary() {
        String configured = System.getenv("FLEETSHARD_CHROMIUM");
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured)).filter(Files::isExecutable);
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Starts Chromium with an empty page and connects to it. */
    static HeadlessChromium start(Path binary, Path profileDir) throws Exception {
        Files.createDirectories(profileDir);
        Process process = new ProcessBuilder(binary.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "--user-data-dir=" + profileDir, "--window-size=1400,1000",
                "about:blank").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            CompletableFuture<String> endpoint = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = err.readLine()) != null; ) {
                        int at = line.indexOf("DevTools listening on ");
                        if (at >= 0) {
                            endpoint.complete(line.substring(at + "DevTools listening on ".length()).strip());
                        }
                    }
                } catch (IOException e) {
                    endpoint.completeExceptionally(e);
                }
                endpoint.completeExceptionally(new IllegalStateException("chromium exited before it listened"));
            }, "chromium-stderr");
            reader.setDaemon(true);
            reader.start();
            URI browser = URI.create(endpoint.get(60, TimeUnit.SECONDS));
            HttpClient http = HttpClient.newHttpClient();
            URI list = URI.create("http://" + browser.getHost() + ":" + browser.getPort() + "/json/list");
            String pageSocket = null;
            for (JsonNode target : JSON.readTree(http.send(HttpRequest.newBuilder(list).build(),
                    HttpResponse.BodyHandlers.ofString()).body())) {
                if (target.path("type").asText().equals("page")) {
                    pageSocket = target.path("webSocketDebuggerUrl").asText();
                    break;
                }
            }
            if (pageSocket == null) {
                throw new IllegalStateException("chromium shows no page target at " + list);
            }
            HeadlessChromium[] self = new HeadlessChromium[1];
            WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(pageSocket), new WebSocket.Listener() {
                private final StringBuilder frame = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                    frame.append(data);
                    if (last) {
                        String message = frame.toString();
                        frame.setLength(0);
                        while (self[0] == null) {
                            Thread.onSpinWait(); // the first answer cannot come before the first command
                        }
                        self[0].received(message);
                    }
                    w.request(1);
                    return null;
                }
            }).get(30, TimeUnit.SECONDS);
            self[0] = new HeadlessChromium(process, ws);
            self[0].command("Page.enable", JSON.createObjectNode());
            self[0].command("Runtime.enable", JSON.createObjectNode());
            return self[0];
        } catch (Exception e) {
            kill(process);
            throw e;
        }
    }

    private void received(String message) {
        try {
            JsonNode m = JSON.readTree(message);
            if (m.has("id")) {
                CompletableFuture<JsonNode> f = pending.remove(m.path("id").asInt());
                if (f != null) {
                    if (m.has("error")) {
                        f.completeExceptionally(new IllegalStateException("DevTools error: " + m.path("error")));
                    } else {
                        f.complete(m.path("result"));
                    }
                }
            } else if (m.path("method").asText().equals("Runtime.exceptionThrown")) {
                pageErrors.add(m.path("params").path("exceptionDetails").toString());
            } else if (m.path("method").asText().equals("Runtime.consoleAPICalled")
                    && m.path("params").path("type").asText().equals("error")) {
                pageErrors.add(m.path("params").path("args").toString());
            }
        } catch (IOException e) {
            pageErrors.add("unreadable DevTools message: " + e.getMessage());
        }
    }

    /** Sends one DevTools command and waits for its result. */
    JsonNode command(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> result = new CompletableFuture<>();
        pending.put(id, result);
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", params);
        socket.sendText(message.toString(), true).get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        return result.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    void navigate(String url) throws Exception {
        command("Page.navigate", JSON.createObjectNode().put("url", url));
    }

    /** The value of a JavaScript expression in the page (promises awaited). */
    JsonNode evaluate(String expression) throws Exception {
        JsonNode r = command("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException("page threw evaluating " + expression + ": " + r.path("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Waits until {@code condition} (a JavaScript expression) is true in the page. */
    void await(String what, String condition, Duration timeout) {
        Await.condition(what + " (page errors so far: " + pageErrors + ")", timeout, () -> {
            try {
                return evaluate("Boolean(" + condition + ")").asBoolean();
            } catch (Exception e) {
                return false; // a navigation in flight
            }
        });
    }

    /** Focuses the element and types {@code text} into it as keyboard input would. */
    void type(String selector, String text) throws Exception {
        evaluate("(() => { const e = document.querySelector(" + quote(selector) + "); e.focus(); e.value = ''; })()");
        command("Input.insertText", JSON.createObjectNode().put("text", text));
    }

    /** Picks an option of a select element, as a user's choice would (a change event follows). */
    void choose(String selector, String value) throws Exception {
        evaluate("(() => { const e = document.querySelector(" + quote(selector) + "); e.value = " + quote(value)
                + "; e.dispatchEvent(new Event('change', {bubbles: true})); })()");
    }

    /** Clicks the element at its centre with the mouse. */
    void click(String selector) throws Exception {
        JsonNode box = evaluate("(() => { const e = document.querySelector(" + quote(selector) + ");"
                + " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                + " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()");
        for (String type : List.of("mousePressed", "mouseReleased")) {
            command("Input.dispatchMouseEvent", JSON.createObjectNode().put("type", type)
                    .put("x", box.path("x").asDouble()).put("y", box.path("y").asDouble())
                    .put("button", "left").put("clickCount", 1));
        }
    }

    String text(String selector) throws Exception {
        return evaluate("(document.querySelector(" + quote(selector) + ") || {}).textContent || ''").asText();
    }

    /** Saves a PNG of the whole page. */
    void screenshot(Path file) throws Exception {
        JsonNode shot = command("Page.captureScreenshot", JSON.createObjectNode().put("format", "png")
                .put("captureBeyondViewport", true));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(shot.path("data").asText()));
    }

    List<String> pageErrors() {
        return new ArrayList<>(pageErrors);
    }

    private static String quote(String s) {
        return JSON.getNodeFactory().textNode(s).toString();
    }

    @Override
    public void close() {
        socket.abort();
        kill(process);
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
