package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

/** Writes JSON response bodies. */
final class ResponseJson {
    private ResponseJson() {
    }

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static void write(Context ctx, int status, ObjectNode body) {
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    /** An id from the URL path, checked like an id in a body; a bad one is a 400 naming the parameter. */
    static String pathId(Context ctx, String name) {
        return RequestJson.id("path parameter " + name, ctx.pathParam(name));
    }
}
