package io.fleetshard.archive.format;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ArchiveStore} on S3 (or an S3 API server): write-once puts with {@code If-None-Match: *} and an explicit
 * {@code x-amz-checksum-sha256}, so the server rejects bytes damaged on the way. Client errors (4xx other than 404
 * and 412) are fatal {@link ArchiveException}s; network failures and 5xx are {@link ArchiveStoreUnavailableException}.
 */
public final class S3ArchiveStore implements ArchiveStore, AutoCloseable {
    private final S3Client s3;
    private final String bucket;
    private final boolean ownsClient;

    public S3ArchiveStore(S3Client s3, String bucket) {
        this(s3, bucket, false);
    }

    private S3ArchiveStore(S3Client s3, String bucket, boolean ownsClient) {
        this.s3 = s3;
        this.bucket = bucket;
        this.ownsClient = ownsClient;
    }

    /**
     * A store with its own client: {@code endpoint} null means AWS's endpoint for {@code region}; otherwise path-style
     * on that endpoint (S3Proxy, MinIO). Null keys mean the default credentials chain.
     */
    public static S3ArchiveStore connect(URI endpoint, String region, String accessKey, String secretKey, String bucket) {
        AwsCredentialsProvider credentials = accessKey == null || accessKey.isBlank()
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
        var builder = S3Client.builder().region(Region.of(region)).credentialsProvider(credentials)
                .httpClientBuilder(ApacheHttpClient.builder());
        if (endpoint != null) {
            builder.endpointOverride(endpoint).forcePathStyle(true);
        }
        return new S3ArchiveStore(builder.build(), bucket, true);
    }

    public String bucket() {
        return bucket;
    }

    /** Creates the bucket if it does not exist (dev and tests; production buckets come from infrastructure code). */
    public void ensureBucket() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (NoSuchBucketException e) {
            try {
                s3.createBucket(b -> b.bucket(bucket));
            } catch (BucketAlreadyOwnedByYouException raced) {
                // created meanwhile
            }
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw classify("check bucket", bucket, e);
            }
            s3.createBucket(b -> b.bucket(bucket));
        } catch (SdkClientException e) {
            throw classify("check bucket", bucket, e);
        }
    }

    @Override
    public PutOutcome putIfAbsent(String key, byte[] bytes) {
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*").checksumSHA256(Sha256.base64(bytes))
                    .contentLength((long) bytes.length), RequestBody.fromBytes(bytes));
            return PutOutcome.CREATED;
        } catch (S3Exception e) {
            if (e.statusCode() == 412) {
                return PutOutcome.ALREADY_EXISTS;
            }
            throw classify("put", key, e);
        } catch (SdkClientException e) {
            throw classify("put", key, e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        try {
            return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw classify("get", key, e);
        } catch (SdkClientException e) {
            throw classify("get", key, e);
        }
    }

    @Override
    public List<StoredObject> list(String prefix, String startAfter, int max) {
        List<StoredObject> out = new ArrayList<>();
        try {
            String token = null;
            do {
                ListObjectsV2Request.Builder req = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix)
                        .maxKeys(Math.min(1000, max - out.size()));
                if (token != null) {
                    req.continuationToken(token);
                } else if (startAfter != null) {
                    req.startAfter(startAfter);
                }
                ListObjectsV2Response resp = s3.listObjectsV2(req.build());
                for (S3Object o : resp.contents()) {
                    out.add(new StoredObject(o.key(), o.size()));
                }
                token = Boolean.TRUE.equals(resp.isTruncated()) ? resp.nextContinuationToken() : null;
            } while (token != null && out.size() < max);
        } catch (S3Exception e) {
            throw classify("list", prefix, e);
        } catch (SdkClientException e) {
            throw classify("list", prefix, e);
        }
        return out;
    }

    private ArchiveException classify(String op, String key, RuntimeException e) {
        if (e instanceof S3Exception s3e && s3e.statusCode() < 500 && s3e.statusCode() != 429) {
            return new ArchiveException("S3 " + op + " of s3://" + bucket + "/" + key + " was refused ("
                    + s3e.statusCode() + " " + s3e.awsErrorDetails().errorCode() + "): check the bucket, its policy and "
                    + "the credentials", e);
        }
        return new ArchiveStoreUnavailableException("S3 " + op + " of s3://" + bucket + "/" + key + " failed ("
                + e.getMessage() + "); retrying with backoff", e);
    }

    @Override
    public void close() {
        if (ownsClient) {
            s3.close();
        }
    }
}
