package io.fleetshard.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 keep-alive client for load driving: one connection, one request at a time, content-length
 * bodies only. Far leaner than a general client, so the driver's own CPU takes less from the router it measures.
 */
final class RawHttpClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final String host;
    private final byte[] buffer = new byte[64 * 1024];
    private final String authorization;

    /** @param token the bearer token of every request (ADR 0018), or null for none */
    RawHttpClient(String host, int port, String token) throws IOException {
        this(host, port, token, null);
    }

    /** @param tls null: plain HTTP; else HTTPS with this context (the handshake is made here) */
    RawHttpClient(String host, int port, String token, javax.net.ssl.SSLContext tls) throws IOException {
        this.host = host + ":" + port;
        this.authorization = token == null ? "" : "Authorization: Bearer " + token + "\r\n";
        Socket plain = new Socket();
        plain.setTcpNoDelay(true);
        plain.connect(new InetSocketAddress(host, port));
        if (tls == null) {
            socket = plain;
        } else {
            javax.net.ssl.SSLSocket secure = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(plain,
                    host, port, true);
            secure.startHandshake();
            socket = secure;
        }
        out = new java.io.BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    }

    /** POSTs a JSON body; returns the status code and leaves the body in {@link #lastBody()}. */
    int postJson(String path, byte[] body) throws IOException {
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
                + authorization + "Content-Length: " + body.length + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        return readResponse();
    }

    /**
     * HTTP/1.1 pipelining: writes every body as a POST to {@code path} before reading any response, then reads the
     * responses in order; returns how many were 200 (the last one's body is left in {@link #lastBody()}).
     */
    int postJsonPipelined(String path, byte[][] bodies) throws IOException {
        for (byte[] body : bodies) {
            String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
                    + authorization + "Content-Length: " + body.length + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
        }
        out.flush();
        int ok = 0;
        for (int i = 0; i < bodies.length; i++) {
            if (readResponse() == 200) {
                ok++;
            }
        }
        return ok;
    }

    /** How often {@code needle} occurs in the last response body, without decoding it. */
    int countInLastBody(byte[] needle) {
        int n = 0;
        outer:
        for (int i = 0; i + needle.length <= lastLength; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buffer[i + j] != needle[j]) {
                    continue outer;
                }
            }
            n++;
        }
        return n;
    }

    /** GETs a path; returns the status code. */
    int get(String path) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return readResponse();
    }

    private int lastLength;

    String lastBody() {
        return new String(buffer, 0, lastLength, StandardCharsets.UTF_8);
    }

    private int readResponse() throws IOException {
        String status = readLine();
        int code = Integer.parseInt(status.substring(9, 12));
        int length = -1;
        boolean chunked = false;
        String line;
        while (!(line = readLine()).isEmpty()) {
            int colon = line.indexOf(':');
            String name = line.substring(0, colon).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Integer.parseInt(line.substring(colon + 1).trim());
            } else if (name.equalsIgnoreCase("Transfer-Encoding") && line.toLowerCase().contains("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            lastLength = 0;
            while (true) {
                int size = Integer.parseInt(readLine().trim(), 16);
                if (size == 0) {
                    readLine();
                    break;
                }
                readFully(lastLength, size);
                lastLength += size;
                readLine();
            }
        } else {
            readFully(0, length);
            lastLength = length;
        }
        return code;
    }

    private void readFully(int offset, int n) throws IOException {
        int read = 0;
        while (read < n) {
            int r = in.read(buffer, offset + read, n - read);
            if (r < 0) {
                throw new IOException("connection closed mid-body");
            }
            read += r;
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder(64);
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
