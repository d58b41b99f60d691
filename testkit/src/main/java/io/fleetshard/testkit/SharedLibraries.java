package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Checks, before a server binary is started, that the system has every shared library it links: the embedded MariaDB
 * and MySQL binaries need a few that a minimal Debian lacks (libaio, libncurses, libxml2, libnuma). A missing one
 * fails loudly, naming the library and the exact fix, instead of a server that dies with a loader error in its log.
 * {@code ./fleetshard test} installs them first where it can (see the README).
 */
final class SharedLibraries {
    /** Debian 12 package that provides each library the embedded servers were seen to need. */
    static final Map<String, String> DEBIAN_PACKAGES = Map.of(
            "libaio.so.1", "libaio1",
            "libnuma.so.1", "libnuma1",
            "libcrypt.so.1", "libcrypt1",
            "libsystemd.so.0", "libsystemd0",
            "libstdc++.so.6", "libstdc++6",
            "libncurses.so.6", "libncurses6",
            "libtinfo.so.6", "libtinfo6",
            "libxml2.so.2", "libxml2");
    private static final Map<Path, Boolean> CHECKED = new ConcurrentHashMap<>();

    private SharedLibraries() {
    }

    /**
     * @throws IllegalStateException naming every library {@code binary} links that the system lacks, with the
     *         command that installs them; nothing when {@code ldd} is not available (the server's own error then says it)
     */
    static void requireAll(String server, Path binary) {
        if (CHECKED.containsKey(binary)) {
            return;
        }
        String ldd = lddOutput(binary);
        if (ldd == null) {
            return;
        }
        List<String> missing = missing(ldd);
        if (!missing.isEmpty()) {
            throw new IllegalStateException(message(server, binary, missing));
        }
        CHECKED.put(binary, Boolean.TRUE);
    }

    /** The libraries {@code ldd}'s output reports as "not found", in order. */
    static List<String> missing(String lddOutput) {
        List<String> out = new ArrayList<>();
        for (String line : lddOutput.split("\n")) {
            String l = line.trim();
            int arrow = l.indexOf("=>");
            if (arrow > 0 && l.substring(arrow + 2).trim().equals("not found")) {
                String lib = l.substring(0, arrow).trim();
                if (!out.contains(lib)) {
                    out.add(lib);
                }
            }
        }
        return out;
    }

    static String message(String server, Path binary, List<String> missing) {
        Map<String, String> packages = new TreeMap<>();
        for (String lib : missing) {
            packages.put(lib, DEBIAN_PACKAGES.getOrDefault(lib, "the package providing " + lib));
        }
        List<String> known = packages.values().stream().filter(p -> !p.startsWith("the package")).distinct().toList();
        return "the embedded " + server + " server cannot start: the system lacks " + String.join(", ", missing)
                + " (needed by " + binary + "). Fix: " + (known.isEmpty() ? "install " + String.join(", ",
                packages.values()) : "sudo apt-get install -y " + String.join(" ", known)
                + " (Debian/Ubuntu; as root without sudo; `./fleetshard test` does it for you when run as root)")
                + ", then run the tests again.";
    }

    private static String lddOutput(Path binary) {
        if (!Files.isExecutable(Path.of("/usr/bin/ldd")) && !Files.isExecutable(Path.of("/bin/ldd"))) {
            return null;
        }
        try {
            Process p = new ProcessBuilder("ldd", binary.toString()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null; // no ldd: the server's own loader error will say what is missing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while checking " + binary, e));
        }
    }
}
