package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.pipeline.source.spi.EventMetadataProvider;
import io.debezium.pipeline.spi.OffsetContext;
import io.debezium.spi.schema.DataCollectionId;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

class DebeziumShadowsTest {

    @Test
    void theModulesFormatterShadowsDebeziumsOnTheClassPath() {
        assertThat(DebeziumShadows.cheapFormatterLoaded()).isTrue();
    }

    @Test
    void theModulesChangeEventQueueShadowsDebeziumsOnTheClassPath() {
        assertThat(DebeziumShadows.spinFreeQueueLoaded()).isTrue();
    }

    @Test
    void theMetricsSummaryStillNamesTheEventsKey() {
        Schema keySchema = SchemaBuilder.struct().field("tenant_id", Schema.STRING_SCHEMA)
                .field("vehicle_id", Schema.STRING_SCHEMA).build();
        Struct key = new Struct(keySchema).put("tenant_id", "acme").put("vehicle_id", "v-7");
        String summary = new EventMetadataProvider() {
            @Override
            public Instant getEventTimestamp(DataCollectionId source, OffsetContext offset, Object k, Struct value) {
                return null;
            }

            @Override
            public Map<String, String> getEventSourcePosition(DataCollectionId source, OffsetContext offset, Object k,
                    Struct value) {
                return Map.of("lsn", "42");
            }

            @Override
            public String getTransactionId(DataCollectionId source, OffsetContext offset, Object k, Struct value) {
                return null;
            }
        }.toSummaryString(null, null, key, null);
        assertThat(summary).isEqualTo("position: {lsn=42}, key: {tenant_id=acme, vehicle_id=v-7}");
    }
}
