package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads HTTP/1.1 requests with a {@code Content-Length} body from one connection's stream, one after another, for
 * the blocking listener (ADR 0039). It parses only what {@code POST /v1/query} needs: the request line, and of the
 * headers {@code Content-Length}, {@code Transfer-Encoding}, {@code Connection}, {@code Authorization},
 * {@code Expect} and {@code Host}. Anything it cannot frame is a {@link Malformed} problem (4xx), after which the
 * connection must be closed; nothing here blocks longer than the stream's reads.
 */
final class Http11RequestReader {
    /** Longest request head (request line and headers) accepted. */
    static final int MAX_HEAD_BYTES = 16 * 1024;
    static final int MAX_HEADERS = 64;

    private final InputStream in;
    private final long maxBodyBytes;
    private final byte[] buf = new byte[MAX_HEAD_BYTES];
    private int pos;
    private int limit;

    Http11RequestReader(InputStream in, long maxBodyBytes) {
        this.in = in;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** A request head, framed: its body has {@code contentLength} bytes. */
    record Head(String method, String path, boolean http10, long contentLength, String authorization,
            boolean keepAlive, boolean expectContinue) {
    }

    /** A request that cannot be framed or is refused before its body: answer the problem, then close. */
    static final class Malformed extends Exception {
        private final ApiProblem problem;

        Malformed(ApiProblem problem) {
            super(problem.getMessage(), null, false, false);
            this.problem = problem;
        }

        ApiProblem problem() {
            return problem;
        }
    }

    /**
     * Reads the next request head; null when the peer closed the connection between requests.
     *
     * @throws Malformed a head that is not a request this listener serves with a known body length
     * @throws IOException the connection failed (or closed mid-request)
     */
    Head readHead() throws IOException, Malformed {
        int end = findHeadEnd();
        if (end < 0) {
            return null;
        }
        int lineEnd = lineEnd(pos, end);
        String requestLine = ascii(pos, lineEnd);
        int sp1 = requestLine.indexOf(' ');
        int sp2 = requestLine.lastIndexOf(' ');
        if (sp1 <= 0 || sp2 <= sp1 + 1) {
            throw badRequest("malformed request line");
        }
        String method = requestLine.substring(0, sp1);
        String target = requestLine.substring(sp1 + 1, sp2);
        String version = requestLine.substring(sp2 + 1);
        boolean http10;
        if (version.equals("HTTP/1.1")) {
            http10 = false;
        } else if (version.equals("HTTP/1.0")) {
            http10 = true;
        } else if (version.startsWith("HTTP/")) {
            throw new Malformed(new ApiProblem(505, "http-version", "HTTP version not supported",
                    "this port serves HTTP/1.1 only, got " + abbreviate(version), null));
        } else {
            throw badRequest("malformed request line");
        }
        if (!isToken(method) || target.indexOf(' ') >= 0 || !target.startsWith("/")) {
            throw badRequest("malformed request line");
        }
        int query = target.indexOf('?');
        String path = query < 0 ? target : target.substring(0, query);
        long contentLength = -1;
        boolean chunked = false;
        boolean close = http10;
        boolean host = false;
        boolean expectContinue = false;
        String authorization = null;
        int headers = 0;
        int p = nextLine(lineEnd);
        while (p < end) {
            int e = lineEnd(p, end);
            if (e == p) {
                break;
            }
            if (++headers > MAX_HEADERS) {
                throw headTooLarge("more than " + MAX_HEADERS + " header fields");
            }
            if (buf[p] == ' ' || buf[p] == '\t') {
                throw badRequest("obsolete line folding in the headers");
            }
            int colon = indexOf((byte) ':', p, e);
            if (colon <= p) {
                throw badRequest("malformed header field");
            }
            String name = ascii(p, colon);
            if (!isToken(name)) {
                throw badRequest("malformed header field name");
            }
            String value = ascii(colon + 1, e).trim();
            switch (name.toLowerCase(Locale.ROOT)) {
                case "content-length" -> {
                    long n = parseLength(value);
                    if (contentLength >= 0 && contentLength != n) {
                        throw badRequest("conflicting Content-Length headers");
                    }
                    contentLength = n;
                }
                case "transfer-encoding" -> chunked = true;
                case "connection" -> {
                    String v = value.toLowerCase(Locale.ROOT);
                    if (v.contains("close")) {
                        close = true;
                    } else if (v.contains("keep-alive")) {
                        close = false;
                    }
                }
                case "authorization" -> authorization = value;
                case "host" -> host = true;
                case "expect" -> {
                    if (!value.equalsIgnoreCase("100-continue")) {
                        throw new Malformed(new ApiProblem(417, "expectation-failed", "Expectation failed",
                                "only Expect: 100-continue is supported", null));
                    }
                    expectContinue = true;
                }
                default -> {
                }
            }
            p = nextLine(e);
        }
        pos = end;
        if (!http10 && !host) {
            throw badRequest("an HTTP/1.1 request needs a Host header");
        }
        if (chunked) {
            throw lengthRequired("this port takes bodies with Content-Length only (no Transfer-Encoding); send chunked"
                    + " bodies to the router's main port");
        }
        if (contentLength < 0) {
            if (method.equals("POST")) {
                throw lengthRequired("a POST needs a Content-Length");
            }
            contentLength = 0;
        }
        if (contentLength > maxBodyBytes) {
            throw new Malformed(ApiProblem.payloadTooLarge("request body exceeds the limit of " + maxBodyBytes
                    + " bytes"));
        }
        return new Head(method, path, http10, contentLength, authorization, !close, expectContinue);
    }

    /** Reads the body of {@code head} (call once per head, after any {@code 100 Continue}). */
    byte[] readBody(Head head) throws IOException {
        byte[] body = new byte[(int) head.contentLength()];
        int n = Math.min(body.length, limit - pos);
        System.arraycopy(buf, pos, body, 0, n);
        pos += n;
        while (n < body.length) {
            int r = in.read(body, n, body.length - n);
            if (r < 0) {
                throw new EOFException("connection closed mid-body");
            }
            n += r;
        }
        return body;
    }

    /**
     * The end of the head in {@code buf} (the index after its empty line), reading as needed; -1 when the stream ended
     * before any byte of a request.
     */
    private int findHeadEnd() throws IOException, Malformed {
        compact();
        int from = 0;
        while (true) {
            // RFC 9112 2.2: a server should ignore at least one empty line before the request line
            while (pos < limit && (buf[pos] == '\r' || buf[pos] == '\n')) {
                pos++;
            }
            for (int i = Math.max(from, pos); i < limit; i++) {
                if (buf[i] == '\n') {
                    if (i + 1 < limit && buf[i + 1] == '\n') {
                        return i + 2;
                    }
                    if (i + 2 < limit && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
                        return i + 3;
                    }
                }
            }
            from = Math.max(pos, limit - 3);
            if (limit == buf.length) {
                if (pos == 0) {
                    throw headTooLarge("the request head exceeds " + MAX_HEAD_BYTES + " bytes");
                }
                compact();
                from = 0;
            }
            int r = in.read(buf, limit, buf.length - limit);
            if (r < 0) {
                if (limit == pos) {
                    return -1;
                }
                throw new EOFException("connection closed mid-head");
            }
            limit += r;
        }
    }

    /** Moves the unread bytes to the start of the buffer. */
    private void compact() {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
    }

    /** The index of the line's end in [from, to): before its CR LF or LF. */
    private int lineEnd(int from, int to) throws Malformed {
        int lf = indexOf((byte) '\n', from, to);
        if (lf < 0) {
            lf = to;
        }
        int e = lf > from && buf[lf - 1] == '\r' ? lf - 1 : lf;
        for (int i = from; i < e; i++) {
            if (buf[i] == '\r' || buf[i] == 0) {
                throw badRequest("a bare CR or NUL in the request head");
            }
        }
        return e;
    }

    private int nextLine(int lineEnd) {
        return buf[lineEnd] == '\r' ? lineEnd + 2 : lineEnd + 1;
    }

    private int indexOf(byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private String ascii(int from, int to) {
        return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static long parseLength(String value) throws Malformed {
        if (value.isEmpty() || value.length() > 18) {
            throw badRequest("invalid Content-Length");
        }
        long n = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw badRequest("invalid Content-Length");
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s.length() <= 16 ? s : s.substring(0, 16) + "...";
    }

    private static Malformed badRequest(String detail) {
        return new Malformed(ApiProblem.badRequest(detail));
    }

    private static Malformed headTooLarge(String detail) {
        return new Malformed(new ApiProblem(431, "header-fields-too-large", "Request header fields too large", detail,
                null));
    }

    private static Malformed lengthRequired(String detail) {
        return new Malformed(new ApiProblem(411, "length-required", "Length required", detail, null));
    }
}
