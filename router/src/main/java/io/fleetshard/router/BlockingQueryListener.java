package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.http.DateGenerator;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A blocking, thread-per-connection HTTP/1.1 listener for {@code POST /v1/query} and {@code POST /v1/query/batch} on
 * a port of its own ({@code router.query.port}, ADR 0039): one platform thread per accepted connection reads a
 * request, answers it through the same {@link QueryResponder} as Jetty's {@link QueryFastLane} and reads the next,
 * with no selector and no hand-off between threads. At most {@code router.query.max.connections} connections are
 * open; one more is answered 503 and closed. Reads block without a timeout (one system call each); a sweep closes
 * connections that have neither received a request head nor completed a request within
 * {@code router.query.idle.timeout.ms}.
 *
 * <p>With TLS ({@link #start} given the main port's {@link SslContextFactory}: the same key store, protocols and cipher
 * suites) every connection is HTTPS; its handshake runs on the connection's own thread, under the same idle timeout,
 * so the acceptor never waits for a client. A connection whose first byte is not a TLS handshake record (plain HTTP
 * sent to this port) is answered a plain-text 400 problem and closed.
 *
 * <p>A request it cannot frame or refuses before its body (400, 411, 413, 417, 431, 505) is answered, then the
 * connection is half-closed and what the client still sends is dropped for a bounded time before it is closed: closed
 * over unread input, the kernel would reset the connection under a client still writing its body.
 */
final class BlockingQueryListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockingQueryListener.class);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** The first byte of every TLS connection: a record of content type handshake (RFC 8446 5.1, RFC 5246 6.2.1). */
    private static final int TLS_HANDSHAKE_RECORD = 22;
    /** TLS connections over the bound being answered 503 at once, each on a short-lived thread of its own. */
    private static final int MAX_TLS_REFUSALS = 8;
    /** How long such a refusal may take (its handshake and answer) before its connection is closed unanswered. */
    private static final int TLS_REFUSAL_TIMEOUT_MS = 2_000;

    private final QueryResponder responder;
    private final long maxRequestBytes;
    private final int maxConnections;
    private final long idleTimeoutNanos;
    private final ServerSocket server;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong threadNumber = new AtomicLong();
    private final Semaphore tlsRefusals = new Semaphore(MAX_TLS_REFUSALS);
    /** The TLS refusals under way, by their thread: {@link #close} ends them. */
    private final Map<Thread, Socket> refusing = new ConcurrentHashMap<>();
    private final ScheduledExecutorService housekeeping;
    private Thread acceptor;
    private ScheduledFuture<?> sweep;
    /** The main port's TLS settings, or null: plain HTTP. Set once by {@link #start}, before the acceptor runs. */
    private volatile SslContextFactory tls;
    private final int advertisedPort;
    private final String advertisedLine;
    private final Counter requests;
    private volatile boolean running = true;

    /**
     * Binds the port; connections wait in the backlog until {@link #start}.
     *
     * @param advertisedPort what every answer's {@value QueryFastLane#QUERY_PORT_HEADER} names (ADR 0042): 0 this
     *     listener's port, -1 nothing, else that port
     */
    BlockingQueryListener(QueryResponder responder, String host, int port, long maxRequestBytes, int maxConnections,
            long idleTimeoutMs, int advertisedPort, MeterRegistry registry, ScheduledExecutorService housekeeping)
            throws IOException {
        this.responder = responder;
        this.maxRequestBytes = maxRequestBytes;
        this.maxConnections = maxConnections;
        this.idleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
        this.housekeeping = housekeeping;
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(host), port), 128);
        this.advertisedPort = advertisedPort == 0 ? server.getLocalPort() : advertisedPort;
        // the same header as the main port's answers, so both ports answer the same headers
        this.advertisedLine = this.advertisedPort < 0 ? ""
                : QueryFastLane.QUERY_PORT_HEADER + ": " + this.advertisedPort + "\r\n";
        this.requests = Counter.builder("fleetshard.router.query.port.requests")
                .description("Requests answered on the blocking query listener (router.query.port, ADR 0039)")
                .register(registry);
        Gauge.builder("fleetshard.router.query.connections", open, Set::size)
                .description("Open connections of the blocking query listener (router.query.port, ADR 0039)")
                .register(registry);
    }

    /**
     * Starts accepting connections.
     *
     * @param tls the main port's started TLS settings (ADR 0020), whose context, protocols and cipher suites every
     *     connection then uses; null: plain HTTP
     */
    synchronized void start(SslContextFactory tls) {
        if (acceptor != null) {
            throw new IllegalStateException("the query listener is started already");
        }
        this.tls = tls;
        long every = Math.max(50, TimeUnit.NANOSECONDS.toMillis(idleTimeoutNanos) / 4);
        sweep = housekeeping.scheduleWithFixedDelay(this::closeIdle, every, every, TimeUnit.MILLISECONDS);
        acceptor = new Thread(this::accept, "fleetshard-router-query-acceptor-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** The port the answers of both of the router's ports name (ADR 0042), or -1 when none is advertised. */
    int advertisedPort() {
        return advertisedPort;
    }

    private void accept() {
        while (running) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!running) {
                    return;
                }
                LOG.warn("accepting a query connection failed", e);
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L); // e.g. out of file descriptors
                continue;
            }
            try {
                socket.setTcpNoDelay(true);
                if (open.size() >= maxConnections) {
                    if (tls == null) {
                        refuse(socket);
                    } else {
                        refuseOverTls(socket);
                    }
                    continue;
                }
                Connection c = new Connection(socket);
                Thread t = new Thread(c::serve, "fleetshard-router-query-" + port() + "-"
                        + threadNumber.incrementAndGet());
                t.setDaemon(true);
                c.thread = t;
                open.add(c);
                try {
                    t.start();
                } catch (RuntimeException | OutOfMemoryError e) {
                    open.remove(c);
                    throw e;
                }
            } catch (IOException | RuntimeException | OutOfMemoryError e) {
                LOG.warn("could not serve a query connection", e);
                closeQuietly(socket);
            }
        }
    }

    /** Over the bound: 503 with Retry-After, then close (the answer fits in the socket's send buffer). */
    private void refuse(Socket socket) {
        try {
            OutputStream out = socket.getOutputStream();
            out.write(response(QueryResponder.problem(ApiProblem.unavailable("this router serves at most "
                    + maxConnections + " connections on its query port (router.query.max.connections)", 1)), false));
            out.flush();
            socket.shutdownOutput();
        } catch (IOException e) {
            // the client went away: nothing to answer
        } finally {
            closeQuietly(socket);
        }
    }

    /**
     * Over the bound with TLS: the 503 needs a handshake first, which must not hold up the acceptor; so it is made on a
     * thread of its own, with a read timeout, for at most {@value #MAX_TLS_REFUSALS} connections at once (beyond,
     * closed unanswered, as a client that cannot be answered quickly would be anyway).
     */
    private void refuseOverTls(Socket socket) {
        if (!tlsRefusals.tryAcquire()) {
            closeQuietly(socket);
            return;
        }
        Thread t = new Thread(() -> {
            try {
                socket.setSoTimeout(TLS_REFUSAL_TIMEOUT_MS);
                Socket secure = handshake(socket);
                if (secure != null) {
                    refuse(secure);
                }
            } catch (IOException | RuntimeException e) {
                // no handshake in time, or the client went away: nothing to answer
            } finally {
                closeQuietly(socket);
                refusing.remove(Thread.currentThread());
                tlsRefusals.release();
            }
        }, "fleetshard-router-query-refusal-" + port());
        t.setDaemon(true);
        refusing.put(t, socket);
        try {
            t.start();
        } catch (RuntimeException | OutOfMemoryError e) {
            refusing.remove(t);
            tlsRefusals.release();
            closeQuietly(socket);
        }
    }

    /**
     * The TLS socket over {@code raw} after its handshake, on the calling thread; null when the client sent something
     * else than a TLS handshake (answered with a plain-text 400 problem, which carries no secret) or nothing at all.
     */
    private SSLSocket handshake(Socket raw) throws IOException {
        SslContextFactory settings = tls;
        int first = raw.getInputStream().read();
        if (first < 0) {
            return null;
        }
        if (first != TLS_HANDSHAKE_RECORD) {
            OutputStream out = raw.getOutputStream();
            out.write(response(QueryResponder.problem(ApiProblem.badRequest("this port speaks HTTPS only (the"
                    + " router's router.tls.keystore.path is set): send the request with https://")), false));
            out.flush();
            raw.shutdownOutput();
            drainBeforeClose(raw);
            return null;
        }
        SSLSocket secure = (SSLSocket) settings.getSslContext().getSocketFactory().createSocket(raw,
                new ByteArrayInputStream(new byte[] {(byte) first}), true);
        secure.setSSLParameters(settings.customize(secure.getSSLParameters())); // the main port's protocols, suites
        secure.startHandshake();
        return secure;
    }

    /**
     * Reads and drops what the client still sends (the rest of its request), for at most a second and 64 KiB, so that
     * closing the socket with unread input does not reset the connection before the client has read the answer.
     */
    private static void drainBeforeClose(Socket raw) {
        try {
            raw.setSoTimeout(1_000);
            InputStream in = raw.getInputStream();
            byte[] sink = new byte[4096];
            for (int total = 0; total < 65_536; ) {
                int n = in.read(sink);
                if (n < 0) {
                    return;
                }
                total += n;
            }
        } catch (IOException e) {
            // timed out or reset: close anyway
        }
    }

    private void closeIdle() {
        long now = System.nanoTime();
        for (Connection c : open) {
            if (!c.busy && now - c.lastActivity > idleTimeoutNanos) {
                c.close();
            }
        }
    }

    /**
     * Stops accepting, closes every connection (a request being answered finishes first, for up to 5 s) and ends the
     * TLS refusals under way.
     */
    @Override
    public void close() {
        running = false;
        if (sweep != null) {
            sweep.cancel(false);
        }
        closeQuietly(server);
        if (acceptor != null) {
            join(acceptor, 5_000);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Connection c : open) {
            if (!c.busy) {
                c.close();
            }
        }
        for (Connection c : open) {
            join(c.thread, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            c.close();
            join(c.thread, 1_000);
        }
        refusing.values().forEach(BlockingQueryListener::closeQuietly); // a refusal has nothing left worth finishing
        for (Thread t : refusing.keySet()) {
            join(t, 1_000);
        }
    }

    private static void join(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Connection {
        private final Socket socket;
        private volatile Thread thread;
        private volatile boolean busy;
        private volatile long lastActivity = System.nanoTime();

        Connection(Socket socket) {
            this.socket = socket;
        }

        void serve() {
            try (socket) {
                Socket secure = null;
                if (tls != null) {
                    // the handshake is this thread's: the idle sweep closes a client that does not finish it in time
                    secure = handshake(socket);
                    if (secure == null) {
                        return;
                    }
                }
                try (Socket s = secure) {
                    serve(s == null ? socket : s);
                }
            } catch (SocketException | javax.net.ssl.SSLException e) {
                // closed by the peer, the idle sweep or stop; or a client that does not speak our TLS
            } catch (IOException | RuntimeException e) {
                if (running) {
                    LOG.debug("query connection failed", e);
                }
            } finally {
                open.remove(this);
            }
        }

        /** Reads requests from {@code socket} (the TLS socket over it with TLS) and answers them, in turn. */
        private void serve(Socket socket) throws IOException {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            Http11RequestReader reader = new Http11RequestReader(in, maxRequestBytes);
            while (running) {
                Http11RequestReader.Head head;
                try {
                    head = reader.readHead();
                } catch (Http11RequestReader.Malformed m) {
                    out.write(response(QueryResponder.problem(m.problem()), false));
                    out.flush();
                    // the rest of what the client sent (a body, a pipelined request) may still be unread or on its
                    // way: closing over it would reset the connection, and a reset can lose the answer in flight
                    socket.shutdownOutput();
                    drainBeforeClose(socket);
                    return;
                }
                if (head == null) {
                    return;
                }
                lastActivity = System.nanoTime(); // the body must follow within the idle timeout
                if (head.expectContinue()) {
                    out.write(CONTINUE);
                    out.flush();
                }
                byte[] body = reader.readBody(head);
                busy = true;
                QueryResponder.Reply reply;
                try {
                    reply = answer(head, body);
                } finally {
                    busy = false;
                }
                requests.increment();
                boolean keepAlive = head.keepAlive() && running;
                byte[] bytes = response(reply, keepAlive, head.http10());
                // a HEAD answer has the headers of the GET answer but no body (RFC 9110 9.3.2)
                out.write(bytes, 0, head.method().equals("HEAD") ? bytes.length - reply.body().length
                        : bytes.length);
                out.flush();
                lastActivity = System.nanoTime();
                if (!keepAlive) {
                    return;
                }
            }
        }

        void close() {
            closeQuietly(socket);
        }
    }

    private QueryResponder.Reply answer(Http11RequestReader.Head head, byte[] body) {
        boolean known = QueryFastLane.PATH.equals(head.path()) || QueryEndpoints.BATCH_PATH.equals(head.path());
        if (!known) {
            return QueryResponder.problem(ApiProblem.notFound("this port serves POST " + QueryFastLane.PATH
                    + " and POST " + QueryEndpoints.BATCH_PATH + " only; " + head.path() + " is on the router's main"
                    + " port"));
        }
        if (!head.method().equals("POST")) {
            return QueryResponder.problem(new ApiProblem(405, "method-not-allowed", "Method not allowed",
                    head.method() + " " + head.path() + " is not served; use POST", null, Map.of("Allow", "POST")));
        }
        return responder.reply(head.path(), head.authorization(), body);
    }

    private byte[] response(QueryResponder.Reply reply, boolean keepAlive) {
        return response(reply, keepAlive, false);
    }

    /** The {@code Date} header line of one second. */
    private record DateLine(long second, String line) {
    }

    /** The {@code Date} header line of the current second, made at most once a second with Jetty's own formatter. */
    private volatile DateLine dateLine = new DateLine(-1, "");

    private String dateLine() {
        long second = System.currentTimeMillis() / 1000;
        DateLine cached = dateLine;
        if (cached.second() != second) {
            cached = new DateLine(second, "Date: " + DateGenerator.formatDate(second * 1000) + "\r\n");
            dateLine = cached;
        }
        return cached.line();
    }

    /** The response's bytes: status line, headers and body, written with one system call. */
    private byte[] response(QueryResponder.Reply reply, boolean keepAlive, boolean http10) {
        StringBuilder head = new StringBuilder(160).append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(reply.status())
                .append(' ').append(HttpStatus.getMessage(reply.status())).append("\r\n").append(dateLine())
                .append(advertisedLine);
        reply.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("Content-Type: ").append(reply.contentType()).append("\r\nContent-Length: ")
                .append(reply.body().length).append("\r\n");
        if (!keepAlive) {
            head.append("Connection: close\r\n");
        } else if (http10) {
            head.append("Connection: keep-alive\r\n");
        }
        byte[] h = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[h.length + reply.body().length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(reply.body(), 0, all, h.length, reply.body().length);
        return all;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing
        }
    }
}
