package io.fleetshard.archive.format;

/** A manifest with the exact bytes it was read from and their hash (the next manifest's {@code previousSha256}). */
public record StoredManifest(Manifest manifest, String key, byte[] bytes, String sha256) {
    public static StoredManifest of(Manifest manifest, String key, byte[] bytes) {
        return new StoredManifest(manifest, key, bytes, Sha256.hex(bytes));
    }
}
