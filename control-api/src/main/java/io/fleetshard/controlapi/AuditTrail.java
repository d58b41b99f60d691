package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.http.auth.Caller;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail of the control API (ADR 0018 "Audit"): every change that succeeded (a 2xx answer to a POST) becomes
 * one {@link AuditEvent} in the {@link AuditLog} before the answer leaves, with the caller from the token, the route,
 * the target's state before (for actions on an existing shard or reshard job) and the answer after, the request id
 * ({@code X-Request-Id}, taken from the request when it sends a sane one, else made up, and always echoed) and the
 * time. {@code GET /v1/audit?from=&to=&actor=&limit=} reads it back.
 *
 * <p>The event is written after the change: a change whose event cannot be stored stays made (the map log is not
 * transactional with the audit topic); the failure is logged as an error and counted in
 * {@code fleetshard.control.audit.failures}.
 */
final class AuditTrail {
    static final String REQUEST_ID = "X-Request-Id";
    static final int MAX_LIMIT = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(AuditTrail.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String ID_ATTRIBUTE = "fleetshard.audit.requestId";
    private static final String BEFORE_ATTRIBUTE = "fleetshard.audit.before";

    private final Supplier<AuditLog> log;
    private final Clock clock;
    private final Map<String, Function<Context, JsonNode>> targets;
    private final Counter failures;

    /**
     * @param log the audit log, or a supplier of null while auditing is off
     * @param targets for a route template, the current view of the target its path names (null if none)
     */
    AuditTrail(Supplier<AuditLog> log, Clock clock, Map<String, Function<Context, JsonNode>> targets,
            MeterRegistry registry) {
        this.log = log;
        this.clock = clock;
        this.targets = Map.copyOf(targets);
        this.failures = Counter.builder("fleetshard.control.audit.failures")
                .description("Changes whose audit event could not be stored").register(registry);
    }

    void install(RoutesConfig routes) {
        routes.beforeMatched(ctx -> {
            String given = ctx.header(REQUEST_ID);
            String id = given != null && SANE_ID.matcher(given).matches() ? given : UUID.randomUUID().toString();
            ctx.attribute(ID_ATTRIBUTE, id);
            ctx.header(REQUEST_ID, id);
            Function<Context, JsonNode> view = targets.get(template(ctx));
            if (ctx.method() == HandlerType.POST && log.get() != null && view != null) {
                try {
                    ctx.attribute(BEFORE_ATTRIBUTE, view.apply(ctx));
                } catch (ApiProblem e) {
                    // no such target: the handler answers that; nothing changes, nothing is audited
                }
            }
        });
        routes.after(this::record);
        routes.get("/v1/audit", this::list, Access.AUDIT);
    }

    private void record(Context ctx) {
        AuditLog audit = log.get();
        if (audit == null || ctx.method() != HandlerType.POST || ctx.statusCode() / 100 != 2
                || ctx.attribute(ID_ATTRIBUTE) == null) {
            return;
        }
        Caller caller = Authentication.caller(ctx);
        AuditEvent event = new AuditEvent(UUID.randomUUID().toString(), clock.millis(), ctx.attribute(ID_ATTRIBUTE),
                caller.subject(), caller.role().wireName(), "POST " + template(ctx), ctx.path(), ctx.statusCode(),
                ctx.attribute(BEFORE_ATTRIBUTE), answer(ctx));
        try {
            audit.append(event);
        } catch (RuntimeException e) {
            failures.increment();
            LOG.error("AUDIT EVENT LOST: {} by {} ({}) answered {}, request {}: {}", event.action(), event.actor(),
                    event.role(), event.status(), event.requestId(), e.getMessage());
        }
    }

    private static JsonNode answer(Context ctx) {
        String body = ctx.result();
        if (body == null || body.isEmpty()) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(body);
        }
    }

    private void list(Context ctx) {
        AuditLog audit = log.get();
        if (audit == null) {
            throw ApiProblem.unavailable("auditing is not enabled on this control API", 60);
        }
        long from = instant(ctx, "from", 0);
        long to = instant(ctx, "to", clock.millis());
        if (to < from) {
            throw ApiProblem.badRequest("to (" + Instant.ofEpochMilli(to) + ") is before from ("
                    + Instant.ofEpochMilli(from) + ")");
        }
        String actor = ctx.queryParam("actor");
        int limit = limit(ctx.queryParam("limit"));
        List<AuditEvent> events = audit.read(from, to, actor == null || actor.isBlank() ? null : actor, limit + 1);
        ObjectNode out = ResponseJson.object().put("truncated", events.size() > limit);
        ArrayNode list = out.putArray("events");
        events.stream().limit(limit).forEach(e -> list.add(e.toJson()));
        ResponseJson.write(ctx, 200, out);
    }

    private static long instant(Context ctx, String name, long absent) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return absent;
        }
        try {
            return Instant.parse(v.strip()).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest(name + " must be an ISO-8601 instant such as 2026-12-05T10:00:00Z, got '"
                    + v + "'");
        }
    }

    private static int limit(String v) {
        if (v == null || v.isBlank()) {
            return 1_000;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiProblem.badRequest("limit must be between 1 and " + MAX_LIMIT + ", got '" + v + "'");
    }

    private static String template(Context ctx) {
        try {
            Endpoint e = ctx.endpoints().matchedHttpEndpoint();
            return e == null ? ctx.path() : e.path;
        } catch (RuntimeException e) {
            return ctx.path();
        }
    }
}
