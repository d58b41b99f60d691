package io.fleetshard.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A demo MariaDB node's server id and GTID domain, kept in {@code <nodeId>.mariadb-ids} beside its data directory,
 * so that {@code ./fleetshard dev} restarts a node under the ids it last ran with: a rebuilt node (ADR 0032) has ids no
 * other server had, and started again under its layout id it would skip the events it wrote under the rebuilt one
 * when it replicates (a replica skips its own server id's events). Written on every start; a node without the file
 * runs under its layout ids.
 */
record DevMariaDbIds(int serverId, int gtidDomain) {
    private static final String SUFFIX = ".mariadb-ids";

    /** The layout's ids: the shard's first node writes in domain 0 as server 1, its replica in 3 as server 3. */
    static DevMariaDbIds layout(DemoTopology.DemoShard shard, String nodeId) {
        return nodeId.equals(shard.primaryNodeId()) ? new DevMariaDbIds(1, 0) : new DevMariaDbIds(3, 3);
    }

    /** The ids the node last ran with, or {@code otherwise} when it never ran with this file. */
    static DevMariaDbIds read(Path data, String nodeId, DevMariaDbIds otherwise) {
        Path file = data.resolve(nodeId + SUFFIX);
        if (!Files.isRegularFile(file)) {
            return otherwise;
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
            return new DevMariaDbIds(Integer.parseInt(p.getProperty("server_id").trim()),
                    Integer.parseInt(p.getProperty("gtid_domain_id").trim()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read " + file + " (" + e.getMessage() + "); start over with"
                    + " ./fleetshard dev --fresh", e);
        }
    }

    void write(Path data, String nodeId) {
        Path file = data.resolve(nodeId + SUFFIX);
        try {
            Path tmp = Files.createTempFile(data, nodeId, ".tmp");
            Files.writeString(tmp, "# the server id and GTID domain " + nodeId + " last ran with (DevMariaDbIds)\n"
                    + "server_id=" + serverId + "\ngtid_domain_id=" + gtidDomain + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
