package io.fleetshard.launcher;

import io.fleetshard.testkit.FreePorts;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Ports of the dev platform's servers, remembered in {@code ports.properties} under the data directory so that the
 * endpoints (and the JDBC URLs in the shard map) stay the same across restarts. A remembered port that is taken now
 * is replaced by a free one.
 */
final class DevPorts {
    private final Path file;
    private final Properties ports = new Properties();

    DevPorts(Path dataDir) {
        this.file = dataDir.resolve("ports.properties");
        if (Files.exists(file)) {
            try (Reader r = Files.newBufferedReader(file)) {
                ports.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
    }

    /** The port a dev platform in {@code dataDir} recorded for {@code name}, for commands that talk to it. */
    static java.util.Optional<String> recorded(Path dataDir, String name) {
        DevPorts ports = new DevPorts(dataDir);
        return java.util.Optional.ofNullable(ports.ports.getProperty(name));
    }

    synchronized int portFor(String name) {
        String known = ports.getProperty(name);
        if (known != null && isFree(Integer.parseInt(known))) {
            return Integer.parseInt(known);
        }
        int port = FreePorts.next();
        ports.setProperty(name, Integer.toString(port));
        save();
        return port;
    }

    private void save() {
        try {
            Files.createDirectories(file.getParent());
            try (Writer w = Files.newBufferedWriter(file)) {
                ports.store(w, "ports of fleetshard dev; delete to pick new ones");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
