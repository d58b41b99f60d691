package io.fleetshard.launcher;

import io.fleetshard.cdc.CaptureConfig;
import io.fleetshard.cdc.CaptureOperations;
import io.fleetshard.config.KafkaClientSecurity;
import io.fleetshard.controlapi.ControlApi;

/**
 * The control API's capture reset for a promoted warm standby ({@code promote-standby}): cdc-capture's
 * {@link CaptureOperations#resetShard}, which deletes the shard's stored position under the shard's transactional
 * id (fencing a worker still capturing it), so capture snapshots the new primary instead of looking for a slot and
 * position of the lost one. Uses capture's default offsets topic ({@code offsets.topic}).
 */
final class CaptureReset {
    private CaptureReset() {
    }

    static ControlApi.CaptureResetter of(String bootstrapServers) {
        return of(bootstrapServers, KafkaClientSecurity.plaintext());
    }

    static ControlApi.CaptureResetter of(String bootstrapServers, KafkaClientSecurity security) {
        CaptureConfig config = CaptureConfig.builder(bootstrapServers, "control-api-capture-reset")
                .kafkaSecurity(security).build();
        return shardId -> {
            CaptureOperations.resetShard(config, shardId);
            return "capture of shard " + shardId + " forgot its position (" + config.offsetsTopic() + "): it"
                    + " snapshots the new primary (op=r events) and streams from there";
        };
    }
}
