package io.fleetshard.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Parses HCL files with the npm package {@code @cdktf/hcl2json} (HashiCorp's HCL parser compiled to WebAssembly),
 * run by Node.js. The package is installed once into {@code target/hcl2json}; its JSON shape: blocks are arrays of
 * objects ({@code resource -> type -> name -> [ {...} ]}), expressions are {@code "${...}"} strings.
 */
final class Hcl2Json {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCRIPT = """
            const { parse } = require('@cdktf/hcl2json');
            const fs = require('fs');
            (async () => {
              const out = {};
              for (const file of process.argv.slice(2)) {
                try {
                  out[file] = { json: await parse(file, fs.readFileSync(file, 'utf8')) };
                } catch (e) {
                  out[file] = { error: String(e) };
                }
              }
              process.stdout.write(JSON.stringify(out));
            })();
            """;

    private final Path dir;

    private Hcl2Json(Path dir) {
        this.dir = dir;
    }

    /** Whether a program is on the PATH. */
    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    /** Installs the package into {@code dir} unless it is there already. */
    static Hcl2Json install(Path dir, String version) throws IOException, InterruptedException {
        Path module = dir.resolve("node_modules/@cdktf/hcl2json/package.json");
        if (!Files.exists(module) || !Files.readString(module).contains("\"version\": \"" + version + "\"")) {
            Files.createDirectories(dir);
            run(dir, List.of("npm", "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error",
                    "--prefix", dir.toString(), "@cdktf/hcl2json@" + version), 300);
        }
        Files.writeString(dir.resolve("parse.js"), SCRIPT);
        return new Hcl2Json(dir);
    }

    /** Each file's parsed JSON; a file that does not parse fails with the parser's message naming it. */
    Map<Path, JsonNode> parse(List<Path> files) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", dir.resolve("parse.js").toString()));
        files.forEach(f -> command.add(f.toAbsolutePath().toString()));
        JsonNode out = JSON.readTree(run(dir, command, 120));
        Map<Path, JsonNode> parsed = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        for (Path f : files) {
            JsonNode r = out.path(f.toAbsolutePath().toString());
            if (r.has("error")) {
                errors.add(f + ": " + r.get("error").asText());
            } else {
                parsed.put(f, r.path("json"));
            }
        }
        if (!errors.isEmpty()) {
            throw new AssertionError("HCL that does not parse:\n" + String.join("\n", errors));
        }
        return parsed;
    }

    private static String run(Path workDir, List<String> command, int timeoutSeconds)
            throws IOException, InterruptedException {
        Path stdout = Files.createTempFile(workDir, "out", ".txt");
        Path stderr = Files.createTempFile(workDir, "err", ".txt");
        try {
            Process p = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command.get(0) + " did not finish within " + timeoutSeconds + " s: "
                        + String.join(" ", command));
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ":\n"
                        + Files.readString(stderr, StandardCharsets.UTF_8));
            }
            return Files.readString(stdout, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
