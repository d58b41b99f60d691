package io.fleetshard.controlapi;

/**
 * What reading one standby's position row found: the row, or why there is none to report.
 *
 * @param position null when {@code error} is set
 * @param error null when the row was read
 */
record StandbyReading(StandbyPosition position, String error) {
    /** A database without the position table. */
    static final String NOT_A_STANDBY = "not a FleetShard standby: no fleetshard_standby_position table";

    static StandbyReading of(StandbyPosition position) {
        return new StandbyReading(position, null);
    }

    static StandbyReading failed(String error) {
        return new StandbyReading(null, error);
    }

    /** The table exists but has no row for the shard. */
    static StandbyReading nothingApplied(String shardId) {
        return failed("standby has not applied anything yet: no row for shard " + shardId
                + " in fleetshard_standby_position");
    }

    boolean ok() {
        return error == null;
    }
}
