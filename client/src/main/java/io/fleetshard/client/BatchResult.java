package io.fleetshard.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The answers to one {@link Session#batch(List)}: one {@link Item} per request, in the requests' order. Each item
 * either succeeded or failed on its own (the router runs every item as it would run it alone; one failing item does
 * not fail the others, and items are not one transaction).
 */
public record BatchResult(List<Item> items) {

    public BatchResult {
        items = List.copyOf(items);
    }

    /**
     * One request's answer: its result, or the typed exception a lone {@code query} would have thrown for it.
     * Exactly one of the two is set.
     */
    public record Item(QueryResult result, FleetShardException failure) {
        public Item {
            if ((result == null) == (failure == null)) {
                throw new IllegalArgumentException("an item has a result or a failure, not both or neither");
            }
        }

        public boolean ok() {
            return result != null;
        }

        /** The result; throws this item's failure when it failed. */
        public QueryResult orThrow() {
            if (failure != null) {
                throw failure;
            }
            return result;
        }
    }

    public int size() {
        return items.size();
    }

    /** The result of request {@code index}; throws that request's failure when it failed. */
    public QueryResult get(int index) {
        return items.get(index).orThrow();
    }

    /** The failure of request {@code index}, if it failed. */
    public Optional<FleetShardException> failure(int index) {
        return Optional.ofNullable(items.get(index).failure());
    }

    /** Every result in order; throws the first failure when any request failed. */
    public List<QueryResult> all() {
        List<QueryResult> out = new ArrayList<>(items.size());
        for (Item item : items) {
            out.add(item.orThrow());
        }
        return out;
    }
}
