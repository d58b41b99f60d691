package io.fleetshard.standby;

/** The standby was promoted to its shard's primary: the applier stops for good ({@link ApplierState#PROMOTED}). */
final class StandbyPromotedException extends StandbyException {
    private static final long serialVersionUID = 1L;

    StandbyPromotedException(String message) {
        super(message);
    }
}
