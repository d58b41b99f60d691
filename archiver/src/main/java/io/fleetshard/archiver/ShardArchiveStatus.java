package io.fleetshard.archiver;

/**
 * What an archiver knows of one shard it owns: its state, the last manifest it stored, how many shard-log records
 * wait to be archived ({@code lagRecords}, -1 unknown), and the last failure.
 */
public record ShardArchiveStatus(String shardId, String state, long manifestSeq, long nextOffset, int pendingRecords,
                                 long lagRecords, long lastManifestMs, String lastError) {
}
