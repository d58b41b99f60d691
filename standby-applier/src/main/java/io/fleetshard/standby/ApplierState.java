package io.fleetshard.standby;

import java.util.EnumSet;
import java.util.Set;

/**
 * States of a {@link StandbyApplier}. {@code DEFECT} is terminal but for {@code STOPPED}: the archive must be repaired
 * (or the standby rebuilt) by an operator; the applier never applies past a defect. {@code PROMOTED} is terminal too:
 * the standby was promoted to its shard's primary (disaster recovery) and takes the application's writes now.
 */
public enum ApplierState {
    NEW, STARTING, APPLYING, CAUGHT_UP, RETRYING, DEFECT, PROMOTED, STOPPED;

    boolean canMoveTo(ApplierState next) {
        return allowed().contains(next);
    }

    private Set<ApplierState> allowed() {
        return switch (this) {
            case NEW -> EnumSet.of(STARTING, STOPPED);
            case STARTING -> EnumSet.of(APPLYING, CAUGHT_UP, RETRYING, DEFECT, PROMOTED, STOPPED);
            case APPLYING, CAUGHT_UP -> EnumSet.of(APPLYING, CAUGHT_UP, RETRYING, DEFECT, PROMOTED, STOPPED);
            case RETRYING -> EnumSet.of(STARTING, APPLYING, CAUGHT_UP, RETRYING, DEFECT, PROMOTED, STOPPED);
            case DEFECT, PROMOTED -> EnumSet.of(STOPPED);
            case STOPPED -> EnumSet.noneOf(ApplierState.class);
        };
    }
}
