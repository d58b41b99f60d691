package io.fleetshard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ServerIT {

    @Test
    void secondPutWithIfNoneMatchStarIsRejectedWith412(@TempDir Path dir) {
        Set<Thread> threadsBefore = ThreadLeaks.liveNonDaemonThreads();
        try (S3Server s3 = S3Server.start(dir); S3Client client = s3.newClient()) {
            assertThat(s3.endpoint().getHost()).isEqualTo("127.0.0.1");
            client.createBucket(b -> b.bucket("segments"));

            client.putObject(p -> p.bucket("segments").key("shard-1/000001.seg").ifNoneMatch("*"),
                    RequestBody.fromString("first"));
            assertThatThrownBy(() -> client.putObject(p -> p.bucket("segments").key("shard-1/000001.seg").ifNoneMatch("*"),
                    RequestBody.fromString("second")))
                    .isInstanceOf(S3Exception.class)
                    .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));

            assertThat(client.getObjectAsBytes(g -> g.bucket("segments").key("shard-1/000001.seg")).asUtf8String())
                    .isEqualTo("first");
        }
        ThreadLeaks.assertNoneStartedSince(threadsBefore);
    }

    @Test
    void objectsSurviveRestartOnTheSameDirectory(@TempDir Path dir) {
        try (S3Server s3 = S3Server.start(dir); S3Client client = s3.newClient()) {
            client.createBucket(b -> b.bucket("archive"));
            client.putObject(p -> p.bucket("archive").key("a.txt"), RequestBody.fromString("kept"));
        }
        try (S3Server s3 = S3Server.start(dir); S3Client client = s3.newClient()) {
            assertThat(client.getObjectAsBytes(g -> g.bucket("archive").key("a.txt")).asUtf8String()).isEqualTo("kept");
        }
    }

    @Test
    void rejectsRequestsSignedWithOtherCredentials(@TempDir Path dir) {
        try (S3Server s3 = S3Server.start(dir);
             S3Client stranger = S3Client.builder()
                     .endpointOverride(s3.endpoint())
                     .region(Region.US_EAST_1)
                     .forcePathStyle(true)
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("other", "other-secret")))
                     .httpClientBuilder(ApacheHttpClient.builder())
                     .build()) {
            assertThatThrownBy(stranger::listBuckets)
                    .isInstanceOf(S3Exception.class)
                    .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(403));
        }
    }
}
