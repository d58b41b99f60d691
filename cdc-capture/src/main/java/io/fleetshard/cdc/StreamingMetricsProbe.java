package io.fleetshard.cdc;

import java.lang.management.ManagementFactory;
import java.util.Set;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Whether a shard's Debezium engine streams: its streaming metrics MBean
 * ({@code debezium.<connector>:type=connector-metrics,context=streaming,server=<topic.prefix>}) reports
 * {@code Connected}. Debezium sets it only after the initial snapshot (if any) ended: for PostgreSQL when the
 * coordinator hands over to streaming (the slot already exists, so every later commit is streamed), for MariaDB and
 * MySQL when the binlog client is connected. It is what Debezium's own tests wait on ({@code waitForStreamingRunning}).
 */
final class StreamingMetricsProbe {
    private StreamingMetricsProbe() {
    }

    /** True when the engine with Debezium logical name {@code serverName} is connected to the source's change stream. */
    static boolean connected(String serverName) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            // serverName is ConnectorSettings.serverName(..): letters, digits and underscores, nothing to quote
            Set<ObjectName> names = server.queryNames(
                    new ObjectName("debezium.*:context=streaming,server=" + serverName + ",*"), null);
            for (ObjectName name : names) {
                if (Boolean.TRUE.equals(server.getAttribute(name, "Connected"))) {
                    return true;
                }
            }
            return false;
        } catch (JMException | RuntimeException e) {
            // unregistered between query and read (the engine is stopping), or no such attribute: not streaming
            return false;
        }
    }
}
