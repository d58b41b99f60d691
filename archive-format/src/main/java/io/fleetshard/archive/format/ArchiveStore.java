package io.fleetshard.archive.format;

import java.util.List;
import java.util.Optional;

/**
 * The object store port of the archive: write-once puts, gets and ordered listings. {@link S3ArchiveStore} is the real
 * one, {@link InMemoryArchiveStore} the fake. Implementations throw {@link ArchiveStoreUnavailableException} for
 * failures worth retrying.
 */
public interface ArchiveStore {

    /** Outcome of a write-once put. */
    enum PutOutcome { CREATED, ALREADY_EXISTS }

    /** An object of a listing. */
    record StoredObject(String key, long size) {
    }

    /** Writes {@code bytes} under {@code key} unless the key exists (S3: {@code If-None-Match: *}); never overwrites. */
    PutOutcome putIfAbsent(String key, byte[] bytes);

    Optional<byte[]> get(String key);

    /** Keys under {@code prefix} strictly after {@code startAfter} (null: from the first), in key order, at most {@code max}. */
    List<StoredObject> list(String prefix, String startAfter, int max);
}
