package io.fleetshard.shardmap;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * An immutable, consistent view of the shard map at one map version. Readers hold one snapshot for the whole of a
 * request; followers swap in a new one atomically when a map transaction completes.
 */
public final class ShardMapSnapshot {
    private static final ShardMapSnapshot EMPTY = new ShardMapSnapshot(0, Map.of(), Map.of(), Map.of(), Map.of(),
            Map.of(), HashRing.empty());

    private final long version;
    private final Map<String, Tenant> tenants;
    private final Map<String, Fleet> fleets; // by "tenant/fleet"
    private final Map<String, Shard> shards;
    private final Map<String, Node> nodes;
    private final Map<String, ReshardJob> reshards;
    private final HashRing ring;
    private final Map<String, List<Node>> nodesByShard;
    private final Map<String, List<Fleet>> fleetsByTenant;
    /** By shard, then tenant: see {@link #strayFleetsOn}; built on first use (most snapshots never need it). */
    private volatile Map<String, Map<String, List<String>>> strayFleets;

    private ShardMapSnapshot(long version, Map<String, Tenant> tenants, Map<String, Fleet> fleets,
            Map<String, Shard> shards, Map<String, Node> nodes, Map<String, ReshardJob> reshards, HashRing ring) {
        if (version < 0) {
            throw new IllegalArgumentException("map version must be >= 0, got " + version);
        }
        this.version = version;
        this.tenants = Collections.unmodifiableMap(tenants);
        this.fleets = Collections.unmodifiableMap(fleets);
        this.shards = Collections.unmodifiableMap(shards);
        this.nodes = Collections.unmodifiableMap(nodes);
        this.reshards = Collections.unmodifiableMap(reshards);
        this.ring = ring;
        Map<String, List<Node>> byShard = new HashMap<>();
        for (Node n : nodes.values()) {
            byShard.computeIfAbsent(n.shardId(), k -> new ArrayList<>()).add(n);
        }
        byShard.values().forEach(l -> l.sort(Comparator.comparing(Node::role).thenComparing(Node::nodeId)));
        byShard.replaceAll((k, l) -> List.copyOf(l));
        this.nodesByShard = Collections.unmodifiableMap(byShard);
        Map<String, List<Fleet>> byTenant = new HashMap<>();
        for (Fleet f : fleets.values()) {
            byTenant.computeIfAbsent(f.tenantId(), k -> new ArrayList<>()).add(f);
        }
        byTenant.values().forEach(l -> l.sort(Comparator.comparing(Fleet::fleetId)));
        byTenant.replaceAll((k, l) -> List.copyOf(l));
        this.fleetsByTenant = Collections.unmodifiableMap(byTenant);
    }

    public static ShardMapSnapshot empty() {
        return EMPTY;
    }

    /** A snapshot holding exactly {@code entities} at {@code version}. */
    public static ShardMapSnapshot of(long version, Collection<? extends MapEntity> entities) {
        return EMPTY.apply(version, entities, List.of());
    }

    /**
     * The snapshot after one map transaction: {@code puts} replace or add entities, {@code deletedKeys} (entity keys)
     * remove them. The ring is rebuilt only when a shard changed.
     */
    public ShardMapSnapshot apply(long newVersion, Collection<? extends MapEntity> puts, Collection<String> deletedKeys) {
        if (newVersion < version) {
            throw new IllegalArgumentException("map version must not go back: at " + version + ", got " + newVersion);
        }
        Map<String, Tenant> t = new HashMap<>(tenants);
        Map<String, Fleet> f = new HashMap<>(fleets);
        Map<String, Shard> s = new HashMap<>(shards);
        Map<String, Node> n = new HashMap<>(nodes);
        Map<String, ReshardJob> r = new HashMap<>(reshards);
        boolean shardsChanged = false;
        for (String key : deletedKeys) {
            int colon = key.indexOf(':');
            String kind = colon < 0 ? "" : key.substring(0, colon);
            String id = key.substring(colon + 1);
            switch (kind) {
                case "tenant" -> t.remove(id);
                case "fleet" -> f.remove(id);
                case "shard" -> shardsChanged |= s.remove(id) != null;
                case "node" -> n.remove(id);
                case "reshard" -> r.remove(id);
                default -> throw new IllegalArgumentException("not an entity key: '" + key + "'");
            }
        }
        for (MapEntity e : puts) {
            if (e instanceof Tenant x) {
                t.put(x.tenantId(), x);
            } else if (e instanceof Fleet x) {
                f.put(x.tenantId() + "/" + x.fleetId(), x);
            } else if (e instanceof Shard x) {
                shardsChanged |= !x.equals(s.put(x.shardId(), x));
            } else if (e instanceof Node x) {
                n.put(x.nodeId(), x);
            } else if (e instanceof ReshardJob x) {
                r.put(x.jobId(), x);
            }
        }
        HashRing newRing = shardsChanged ? HashRing.of(s.values()) : ring;
        return new ShardMapSnapshot(newVersion, t, f, s, n, r, newRing);
    }

    public long version() {
        return version;
    }

    public HashRing ring() {
        return ring;
    }

    public Optional<Tenant> tenant(String tenantId) {
        return Optional.ofNullable(tenants.get(tenantId));
    }

    public Optional<Fleet> fleet(String tenantId, String fleetId) {
        return Optional.ofNullable(fleets.get(tenantId + "/" + fleetId));
    }

    public Optional<Shard> shard(String shardId) {
        return Optional.ofNullable(shards.get(shardId));
    }

    public Optional<Node> node(String nodeId) {
        return Optional.ofNullable(nodes.get(nodeId));
    }

    /** Every entity of the map: tenants, shards, nodes, reshard jobs, then fleets (the order a replay needs). */
    public List<MapEntity> entities() {
        List<MapEntity> all = new ArrayList<>(tenants.size() + shards.size() + nodes.size() + reshards.size()
                + fleets.size());
        all.addAll(tenants.values());
        all.addAll(shards.values());
        all.addAll(nodes.values());
        all.addAll(reshards.values());
        all.addAll(fleets.values());
        return all;
    }

    public Collection<Tenant> tenants() {
        return tenants.values();
    }

    public Collection<Fleet> fleets() {
        return fleets.values();
    }

    public Collection<Shard> shards() {
        return shards.values();
    }

    public Collection<Node> nodes() {
        return nodes.values();
    }

    public Optional<ReshardJob> reshard(String jobId) {
        return Optional.ofNullable(reshards.get(jobId));
    }

    /** Every reshard job the map holds, finished ones included. */
    public Collection<ReshardJob> reshards() {
        return reshards.values();
    }

    /** Nodes of a shard, primary first, then by role and id. */
    public List<Node> nodesOf(String shardId) {
        return nodesByShard.getOrDefault(shardId, List.of());
    }

    public Optional<Node> primaryOf(String shardId) {
        for (Node n : nodesOf(shardId)) {
            if (n.role() == NodeRole.PRIMARY) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /** Fleets of a tenant, by fleet id. */
    public List<Fleet> fleetsOf(String tenantId) {
        return fleetsByTenant.getOrDefault(tenantId, List.of());
    }

    /** The shard a fleet lives on: its pin if pinned, else the ring's owner of its token. */
    public String shardFor(Fleet fleet) {
        return fleet.isPinned() ? fleet.pinnedShardId() : ring.shardFor(fleet.token());
    }

    /** The shard that a not-yet-registered fleet would be placed on by the ring. */
    public String shardForToken(long token) {
        return ring.shardFor(token);
    }

    /** The distinct shards holding at least one fleet of the tenant, in a stable order. */
    public List<String> shardsOfTenant(String tenantId) {
        Set<String> out = new LinkedHashSet<>();
        for (Fleet f : fleetsOf(tenantId)) {
            out.add(shardFor(f));
        }
        List<String> sorted = new ArrayList<>(out);
        Collections.sort(sorted);
        return sorted;
    }

    /**
     * Fleets of {@code tenantId} whose rows {@code shardId} may hold although it does not own them (ADR 0051): the
     * fleets named by any reshard job with {@code shardId} as its source or target, in any phase (finished, failed and
     * cancelled ones included: a failed copy can leave rows behind), that are registered and placed on another shard
     * now. Sorted, distinct; empty for nearly every shard and tenant. A fleet the map no longer knows is not listed.
     */
    public List<String> strayFleetsOn(String shardId, String tenantId) {
        Map<String, Map<String, List<String>>> index = strayFleets;
        if (index == null) {
            index = indexStrayFleets();
            strayFleets = index;
        }
        return index.getOrDefault(shardId, Map.of()).getOrDefault(tenantId, List.of());
    }

    private Map<String, Map<String, List<String>>> indexStrayFleets() {
        Map<String, Map<String, TreeSet<String>>> byShard = new HashMap<>();
        for (ReshardJob job : reshards.values()) {
            for (String key : job.fleets()) {
                Fleet fleet = fleets.get(key);
                if (fleet == null) {
                    continue;
                }
                String owner = shardFor(fleet);
                for (String shardId : List.of(job.sourceShardId(), job.targetShardId())) {
                    if (!shardId.equals(owner)) {
                        byShard.computeIfAbsent(shardId, k -> new HashMap<>())
                                .computeIfAbsent(fleet.tenantId(), k -> new TreeSet<>())
                                .add(fleet.fleetId());
                    }
                }
            }
        }
        Map<String, Map<String, List<String>>> out = new HashMap<>();
        byShard.forEach((shardId, byTenant) -> {
            Map<String, List<String>> lists = new HashMap<>();
            byTenant.forEach((tenantId, ids) -> lists.put(tenantId, List.copyOf(ids)));
            out.put(shardId, Collections.unmodifiableMap(lists));
        });
        return Collections.unmodifiableMap(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShardMapSnapshot s && version == s.version && tenants.equals(s.tenants)
                && fleets.equals(s.fleets) && shards.equals(s.shards) && nodes.equals(s.nodes)
                && reshards.equals(s.reshards);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, tenants, fleets, shards, nodes, reshards);
    }

    @Override
    public String toString() {
        return "ShardMapSnapshot[v" + version + ", " + tenants.size() + " tenants, " + fleets.size() + " fleets, "
                + shards.size() + " shards, " + nodes.size() + " nodes]";
    }
}
