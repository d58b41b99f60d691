package io.fleetshard.shardmap;

import java.util.List;

/** Told of every map transaction a follower applies, with its records (used by the DynamoDB mirror). */
@FunctionalInterface
public interface MapTransactionListener {
    void onTransaction(ShardMapSnapshot after, List<MapRecord> records);
}
