package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands out TCP ports on 127.0.0.1 that were free when asked for.
 *
 * <p>A port is only probed, not held, so another process may still take it before the service
 * binds it; within one JVM the same port is never handed out twice.
 */
public final class FreePorts {

    private static final int MAX_ATTEMPTS = 50;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /** A port on 127.0.0.1 that nothing listened on a moment ago and that this JVM has not handed out before. */
    public static int next() {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            int port = probe();
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port on 127.0.0.1 after " + MAX_ATTEMPTS
                + " attempts (" + HANDED_OUT.size() + " ports already handed out in this JVM)");
    }

    private static int probe() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(LocalHost.LOOPBACK, 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("could not bind a probe socket on 127.0.0.1", e);
        }
    }
}
