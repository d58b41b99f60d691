package io.fleetshard.router;

/** {@link FleetSchema} could not install the demo schema or the tenant-isolation objects on a shard. */
public class SchemaInstallException extends RouterException {
    public SchemaInstallException(String message, Throwable cause) {
        super(message, cause);
    }
}
