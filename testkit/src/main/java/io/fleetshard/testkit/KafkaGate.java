package io.fleetshard.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A bootstrap address for a Kafka broker that a test opens when it wants: until {@link #open()} it accepts
 * connections and hangs up at once (a broker that is not up yet, or does not answer), then it forwards them to the
 * broker. Kafka clients only bootstrap through it: the broker's metadata sends them to the broker's own address
 * afterwards. Listens on 127.0.0.1, on a free port; {@link #close()} stops it and every connection it forwards.
 */
public final class KafkaGate implements AutoCloseable {
    private final ServerSocket server;
    private final String brokerHost;
    private final int brokerPort;
    private final List<Socket> sockets = new ArrayList<>();
    private volatile boolean open;

    /** @param brokerBootstrap the broker's {@code host:port} (the first of a list) */
    public KafkaGate(String brokerBootstrap) throws IOException {
        String first = brokerBootstrap.split(",")[0];
        int colon = first.lastIndexOf(':');
        this.brokerHost = first.substring(0, colon);
        this.brokerPort = Integer.parseInt(first.substring(colon + 1));
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "kafka-gate-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** {@code 127.0.0.1:port}: what clients should bootstrap from. */
    public String bootstrapServers() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** From now on, connections reach the broker. */
    public void open() {
        open = true;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (!open) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket(brokerHost, brokerPort);
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(upstream);
                }
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                // the gate closed, or the broker refused: the client sees a closed connection and retries
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (IOException e) {
                // one side closed
            } finally {
                try {
                    to.shutdownOutput();
                } catch (IOException e) {
                    // already closed
                }
            }
        }, "kafka-gate-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
