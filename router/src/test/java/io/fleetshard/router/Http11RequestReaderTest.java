package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The blocking listener's HTTP/1.1 parsing (ADR 0039): what it frames, and a 4xx for what it cannot. */
class Http11RequestReaderTest {
    private static final long MAX_BODY = 1024;

    private static Http11RequestReader reader(String bytes) {
        return reader(bytes.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static Http11RequestReader reader(byte[] bytes) {
        return new Http11RequestReader(new ByteArrayInputStream(bytes), MAX_BODY);
    }

    @Test
    void readsKeepAliveRequestsOneAfterAnotherWithTheirBodies() throws Exception {
        Http11RequestReader r = reader("POST /v1/query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n"
                + "content-length: 5\r\n\r\nhello"
                + "POST /v1/query/batch?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
        Http11RequestReader.Head first = r.readHead();
        assertThat(first.method()).isEqualTo("POST");
        assertThat(first.path()).isEqualTo("/v1/query");
        assertThat(first.authorization()).isEqualTo("Bearer abc");
        assertThat(first.keepAlive()).isTrue();
        assertThat(new String(r.readBody(first), StandardCharsets.UTF_8)).isEqualTo("hello");
        Http11RequestReader.Head second = r.readHead();
        assertThat(second.path()).isEqualTo("/v1/query/batch");
        assertThat(second.authorization()).isNull();
        assertThat(second.keepAlive()).isFalse();
        assertThat(new String(r.readBody(second), StandardCharsets.UTF_8)).isEqualTo("{}");
        assertThat(r.readHead()).as("the peer closed between requests").isNull();
    }

    @Test
    void readsAHeadAndBodyThatArriveOneByteAtATime() throws Exception {
        byte[] request = ("\r\nPOST /v1/query HTTP/1.1\nHost: x\nContent-Length: 3\n\nabc")
                .getBytes(StandardCharsets.ISO_8859_1);
        InputStream trickle = new InputStream() {
            private int i;

            @Override
            public int read() {
                return i < request.length ? request[i++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (i >= request.length) {
                    return -1;
                }
                b[off] = request[i++];
                return 1;
            }
        };
        Http11RequestReader r = new Http11RequestReader(trickle, MAX_BODY);
        Http11RequestReader.Head head = r.readHead();
        assertThat(head.path()).isEqualTo("/v1/query");
        assertThat(new String(r.readBody(head), StandardCharsets.UTF_8)).isEqualTo("abc");
        assertThat(r.readHead()).isNull();
    }

    @Test
    void anHttp10RequestClosesUnlessItAsksForKeepAlive() throws Exception {
        assertThat(reader("POST /v1/query HTTP/1.0\r\nContent-Length: 0\r\n\r\n").readHead().keepAlive()).isFalse();
        assertThat(reader("POST /v1/query HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
                .readHead().keepAlive()).isTrue();
    }

    @Test
    void aGetWithoutLengthHasAnEmptyBodySoItsAnswerCanKeepTheConnection() throws Exception {
        Http11RequestReader.Head head = reader("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").readHead();
        assertThat(head.method()).isEqualTo("GET");
        assertThat(head.contentLength()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            chunked body                 | 411 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n
            POST without length          | 411 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n
            oversized body               | 413 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 1025\\r\\n\\r\\n
            huge length                  | 400 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 99999999999999999999\\r\\n\\r\\n
            negative length              | 400 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: -1\\r\\n\\r\\n
            length with a sign           | 400 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: +5\\r\\n\\r\\n
            two different lengths        | 400 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\n
            no Host                      | 400 | POST /v1/query HTTP/1.1\\r\\nContent-Length: 0\\r\\n\\r\\n
            HTTP/2 preface               | 505 | PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n
            HTTP/1.2                     | 505 | POST /v1/query HTTP/1.2\\r\\nHost: x\\r\\n\\r\\n
            not HTTP                     | 400 | hello world\\r\\n\\r\\n
            one word                     | 400 | GARBAGE\\r\\n\\r\\n
            absolute target              | 400 | POST http://x/v1/query HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n
            space in target              | 400 | POST /v1/ query HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n
            method with a slash          | 400 | PO/ST /v1/query HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n
            header without colon         | 400 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\nContent-Length 5\\r\\n\\r\\n
            empty header name            | 400 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\n: 5\\r\\n\\r\\n
            space before colon           | 400 | POST /v1/query HTTP/1.1\\r\\nHost : x\\r\\n\\r\\n
            obsolete line folding        | 400 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\n folded\\r\\n\\r\\n
            bare CR                      | 400 | POST /v1/query HTTP/1.1\\r\\nHost: x\\rContent-Length: 0\\r\\n\\r\\n
            NUL in a header              | 400 | POST /v1/query HTTP/1.1\\r\\nHost: x\\u0000\\r\\n\\r\\n
            unknown expectation          | 417 | POST /v1/query HTTP/1.1\\r\\nHost: x\\r\\nExpect: magic\\r\\nContent-Length: 0\\r\\n\\r\\n
            """)
    void answersA4xxToWhatItCannotFrame(String name, int status, String escaped) {
        String request = escaped.replace("\\r", "\r").replace("\\n", "\n").replace("\\u0000", "\u0000");
        assertThatThrownBy(() -> reader(request).readHead()).as(name)
                .isInstanceOfSatisfying(Http11RequestReader.Malformed.class, m -> {
                    assertThat(m.problem().status()).isEqualTo(status);
                    assertThat(m.problem().detail()).isNotBlank();
                });
    }

    @Test
    void aHeadLargerThanTheLimitIs431AndTooManyHeadersToo() {
        String big = "POST /v1/query HTTP/1.1\r\nHost: x\r\nX-Pad: " + "a".repeat(Http11RequestReader.MAX_HEAD_BYTES)
                + "\r\n\r\n";
        assertThatThrownBy(() -> reader(big).readHead()).isInstanceOfSatisfying(Http11RequestReader.Malformed.class,
                m -> assertThat(m.problem().status()).isEqualTo(431));
        StringBuilder many = new StringBuilder("POST /v1/query HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < Http11RequestReader.MAX_HEADERS; i++) {
            many.append("X-").append(i).append(": y\r\n");
        }
        assertThatThrownBy(() -> reader(many.append("\r\n").toString()).readHead())
                .isInstanceOfSatisfying(Http11RequestReader.Malformed.class,
                        m -> assertThat(m.problem().status()).isEqualTo(431));
    }

    @Test
    void aConnectionClosedMidRequestIsAnIoFailureNotAHang() throws Exception {
        assertThatThrownBy(() -> reader("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Le").readHead())
                .isInstanceOf(IOException.class);
        Http11RequestReader r = reader("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        Http11RequestReader.Head head = r.readHead();
        assertThatThrownBy(() -> r.readBody(head)).isInstanceOf(IOException.class);
    }

    @Test
    void randomBytesNeverCrashTheReader() {
        Random random = new Random(39);
        byte[] alphabet = "POST /v1/query HTTP/1.1\r\n:Content-Length: 12 Host\ttransfer-encoding\u0000\u00ff"
                .getBytes(StandardCharsets.ISO_8859_1);
        for (int round = 0; round < 20_000; round++) {
            byte[] input = new byte[random.nextInt(200)];
            for (int i = 0; i < input.length; i++) {
                input[i] = random.nextInt(4) == 0 ? (byte) random.nextInt(256)
                        : alphabet[random.nextInt(alphabet.length)];
            }
            Http11RequestReader r = reader(input);
            try {
                for (int i = 0; i < 10; i++) {
                    Http11RequestReader.Head head = r.readHead();
                    if (head == null) {
                        break;
                    }
                    r.readBody(head);
                }
            } catch (Http11RequestReader.Malformed m) {
                assertThat(m.problem().status()).isBetween(400, 505);
            } catch (IOException e) {
                // the input ended mid-request
            }
        }
    }
}
