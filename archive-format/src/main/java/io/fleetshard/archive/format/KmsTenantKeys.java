package io.fleetshard.archive.format;

import java.net.URI;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * Per-tenant keys in AWS KMS (ADR 0025): one KMS key per tenant, named by a pattern ({@code alias/fleetshard-{tenant}}
 * by default). {@code GenerateDataKey} (AES_256) makes each data key and {@code Decrypt} opens it, both with the
 * encryption context {@code fleetshard:tenant = <tenant>}, so a blob of one tenant never opens as another's. The key id
 * stored is the key ARN KMS answers; rotation inside KMS keeps old ciphertexts readable.
 */
public final class KmsTenantKeys implements TenantKeyProvider, AutoCloseable {
    static final String CONTEXT_KEY = "fleetshard:tenant";
    private final KmsClient kms;
    private final String keyPattern;

    /** {@code keyPattern} holds {@code {tenant}}; the client is closed by {@link #close()}. */
    public KmsTenantKeys(KmsClient kms, String keyPattern) {
        if (keyPattern == null || !keyPattern.contains("{tenant}")) {
            throw new IllegalArgumentException("a KMS key pattern must contain {tenant}, got '" + keyPattern + "'");
        }
        this.kms = kms;
        this.keyPattern = keyPattern;
    }

    /**
     * A client for {@code region} (empty: the SDK's default chain), {@code endpoint} (empty: AWS; else an
     * S3-style override for a KMS-compatible server), static credentials or (both empty) the default chain.
     */
    public static KmsTenantKeys connect(String region, String endpoint, String accessKey, String secretKey, String keyPattern) {
        KmsClientBuilder b = KmsClient.builder().httpClientBuilder(ApacheHttpClient.builder());
        if (region != null && !region.isBlank()) {
            b.region(Region.of(region));
        }
        if (endpoint != null && !endpoint.isBlank()) {
            b.endpointOverride(URI.create(endpoint));
        }
        b.credentialsProvider(accessKey == null || accessKey.isBlank() ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)));
        return new KmsTenantKeys(b.build(), keyPattern);
    }

    /** The KMS key id (alias or ARN) of a tenant by the pattern. */
    public String keyOf(String tenant) {
        return keyPattern.replace("{tenant}", tenant);
    }

    @Override
    public DataKey generate(String tenant) {
        String keyId = keyOf(tenant);
        try {
            GenerateDataKeyResponse r = kms.generateDataKey(b -> b.keyId(keyId).keySpec(DataKeySpec.AES_256)
                    .encryptionContext(Map.of(CONTEXT_KEY, tenant)));
            return new DataKey(r.keyId(), r.plaintext().asByteArray(), r.ciphertextBlob().asByteArray());
        } catch (KmsException e) {
            throw classify(tenant, keyId, "GenerateDataKey", e);
        } catch (SdkClientException e) {
            throw new ArchiveStoreUnavailableException("KMS GenerateDataKey for tenant " + tenant + " (" + keyId
                    + ") failed: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] unwrap(String tenant, String keyId, byte[] wrapped) {
        try {
            DecryptResponse r = kms.decrypt(b -> b.keyId(keyId).ciphertextBlob(SdkBytes.fromByteArray(wrapped))
                    .encryptionContext(Map.of(CONTEXT_KEY, tenant)));
            return r.plaintext().asByteArray();
        } catch (KmsException e) {
            throw classify(tenant, keyId, "Decrypt", e);
        } catch (SdkClientException e) {
            throw new ArchiveStoreUnavailableException("KMS Decrypt for tenant " + tenant + " (" + keyId + ") failed: "
                    + e.getMessage(), e);
        }
    }

    /** 4xx (no key, disabled, pending deletion, access denied, wrong ciphertext) is the key's fault; 5xx/throttling retry. */
    private static ArchiveException classify(String tenant, String keyId, String call, KmsException e) {
        String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
        if (e.statusCode() >= 500 || e.isThrottlingException() || "ThrottlingException".equals(code)) {
            return new ArchiveStoreUnavailableException("KMS " + call + " for tenant " + tenant + " (" + keyId
                    + ") failed: " + e.getMessage(), e);
        }
        String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
        return new TenantKeyException(tenant, keyId, "KMS " + call + " answered " + code + ": " + message, e);
    }

    @Override
    public void close() {
        kms.close();
    }

    @Override
    public String toString() {
        return "KmsTenantKeys[" + keyPattern + "]";
    }
}
