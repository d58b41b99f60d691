package io.fleetshard.archiver;

import io.fleetshard.archive.format.S3ArchiveStore;
import java.net.URI;

/**
 * An archiver in a JVM of its own, for the SIGKILL test:
 * {@code ArchiverMain <bootstrap> <groupId> <topicPrefix> <archiverId> <s3Endpoint> <accessKey> <secretKey> <bucket>}.
 */
public final class ArchiverMain {
    private ArchiverMain() {
    }

    public static void main(String[] args) throws Exception {
        ArchiverConfig config = ArchiverIT.config(args[0], args[3], args[1], args[2]).build();
        S3ArchiveStore store = S3ArchiveStore.connect(URI.create(args[4]), "us-east-1", args[5], args[6], args[7]);
        Archiver archiver = new Archiver(config, store);
        archiver.start();
        System.out.println("ARCHIVER-STARTED " + args[3]);
        Thread.currentThread().join();
    }
}
