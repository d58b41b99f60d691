package io.fleetshard.shardmap;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Phases of a reshard job (ADR 0013). The allowed transitions are explicit: {@link #canMoveTo} is the one check every
 * writer of a job's phase goes through. Until {@link #CUTOVER} commits the new placement a job can still be cancelled
 * (rolled back); from {@link #VALIDATE} on it only goes forward.
 */
public enum ReshardPhase {
    /** Recording the shard log's position, then copying the moving rows to the target. */
    PRECOPY,
    /** The delta sync applies the source's changes to the target until its lag is small. */
    CATCHUP,
    /** Writes of the moving fleets are fenced on the source; waiting for the target to apply through the fence. */
    CUTOVER,
    /** The new placement is live; comparing row counts and checksums per fleet and table. */
    VALIDATE,
    /** Deleting the moved rows from the source. */
    CLEANUP,
    DONE,
    /** Rolling back: the fence (if any) is lifted and the copied rows are deleted from the target. */
    CANCELLING,
    CANCELLED,
    FAILED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ReshardPhase parse(String s) {
        for (ReshardPhase p : values()) {
            if (p.wireName().equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("phase must be one of " + EnumSet.allOf(ReshardPhase.class).stream()
                .map(ReshardPhase::wireName).toList() + ", got " + DurabilityTier.quote(s));
    }

    public boolean isTerminal() {
        return this == DONE || this == CANCELLED || this == FAILED;
    }

    /** True while the job can be cancelled: before the cutover's map transaction committed. */
    public boolean isCancellable() {
        return this == PRECOPY || this == CATCHUP || this == CUTOVER;
    }

    public boolean canMoveTo(ReshardPhase next) {
        return allowedNext().contains(next);
    }

    private Set<ReshardPhase> allowedNext() {
        return switch (this) {
            case PRECOPY -> EnumSet.of(CATCHUP, CANCELLING, FAILED);
            case CATCHUP -> EnumSet.of(CUTOVER, CANCELLING, FAILED);
            case CUTOVER -> EnumSet.of(VALIDATE, CATCHUP, CANCELLING, FAILED);
            case VALIDATE -> EnumSet.of(CLEANUP, FAILED);
            case CLEANUP -> EnumSet.of(DONE, FAILED);
            case CANCELLING -> EnumSet.of(CANCELLED, FAILED);
            case DONE, CANCELLED, FAILED -> EnumSet.noneOf(ReshardPhase.class);
        };
    }
}
