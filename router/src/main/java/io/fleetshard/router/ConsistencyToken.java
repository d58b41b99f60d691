package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Ids;

/**
 * What a write returns so that a later read can ask to observe it (read-your-writes): the shard and its log position
 * after the write committed. Text form {@code <shardId>@<engine>:<position>}, e.g. {@code s1@postgres:0/3000148} or
 * {@code m1@mariadb:0-1-42}. Clients treat it as opaque.
 */
record ConsistencyToken(String shardId, Engine engine, LogPosition position) {

    String text() {
        return shardId + "@" + engine.wireName() + ":" + position.text();
    }

    /** Parses a client's {@code afterToken}; answers 400 when it is not a token. */
    static ConsistencyToken parse(String text) {
        int at = text.indexOf('@');
        int colon = at < 0 ? -1 : text.indexOf(':', at);
        if (at <= 0 || colon < 0) {
            throw invalid(text, "expected <shardId>@<engine>:<position>");
        }
        String shardId = text.substring(0, at);
        if (!Ids.isValid(shardId)) {
            throw invalid(text, "the shard id is not valid");
        }
        String position = text.substring(colon + 1);
        try {
            Engine engine = Engine.parse(text.substring(at + 1, colon));
            return switch (engine) {
                case POSTGRES -> new ConsistencyToken(shardId, engine, Lsn.parse(position));
                case MARIADB -> new ConsistencyToken(shardId, engine, GtidPosition.parse(position));
                case MYSQL -> throw invalid(text, "mysql shards do not issue tokens");
            };
        } catch (IllegalArgumentException e) {
            throw invalid(text, e.getMessage());
        }
    }

    private static ApiProblem invalid(String text, String why) {
        String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return ApiProblem.badRequest("afterToken '" + shown + "' is not a consistency token returned by a write: " + why);
    }

    @Override
    public String toString() {
        return text();
    }
}
