package io.fleetshard.controlapi;

import java.util.Objects;

/**
 * The newest manifest of a shard's archive, as far as the control API reports it: how far the archive reaches.
 *
 * @param seq the manifest's seq (1, 2, 3, ...)
 * @param lastCommitTsMs the archive holds every change committed before this (epoch ms): the source commit time of the
 *        last event of its last segment, or of capture's watermark it carries if later (ADR 0048)
 * @param lastPosition source position of that event or watermark (PostgreSQL LSN {@code X/Y}; MySQL/MariaDB
 *        {@code <gtid>@<binlog file>:<pos>#<row>})
 * @param createdMs when the archiver wrote the manifest, epoch ms
 */
record LatestManifest(String shardId, long seq, long lastCommitTsMs, String lastPosition, long createdMs) {

    LatestManifest {
        Objects.requireNonNull(shardId, "shardId");
        Objects.requireNonNull(lastPosition, "lastPosition");
        if (seq < 1) {
            throw new IllegalArgumentException("manifest seq of shard " + shardId + " must be at least 1, got " + seq);
        }
    }
}
