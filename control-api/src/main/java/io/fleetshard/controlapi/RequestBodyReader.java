package io.fleetshard.controlapi;

import io.fleetshard.http.ApiProblem;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a request body up to the configured limit and answers 413 past it, naming the limit, both when the client
 * declares the length and when it streams the body chunked. (Javalin's own limit stays in place as a backstop.)
 */
final class RequestBodyReader {
    private final int maxBytes;

    RequestBodyReader(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    byte[] read(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBytes) {
            throw tooLarge("of " + declared + " bytes");
        }
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes(maxBytes + 1);
            if (body.length > maxBytes) {
                throw tooLarge("");
            }
            return body;
        } catch (IOException e) {
            throw ApiProblem.badRequest("request body could not be read: " + e.getMessage());
        }
    }

    private ApiProblem tooLarge(String size) {
        return ApiProblem.payloadTooLarge("request body " + (size.isEmpty() ? "" : size + " ") + "exceeds the limit of "
                + maxBytes + " bytes (control.http.max.request.bytes)");
    }
}
