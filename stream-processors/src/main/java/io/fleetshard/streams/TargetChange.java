package io.fleetshard.streams;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One change to apply to the target, from the shard-log record at {@code offset}: {@code delete} by {@code key}, else
 * an upsert of {@code after} (whose primary key decides the row; {@code key}, the envelope's, is informational then).
 */
record TargetChange(long offset, String table, boolean delete, JsonNode key, JsonNode after) {
}
