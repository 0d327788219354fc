# shellcheck shell=bash
# MATRIX=cluster of scripts/bench, sourced by it after its targets and helpers (step, TMP,
# FAILED, CLUSTER_EVENTS, CLUSTER_FAMILIES): a Redis Cluster of 3 masters with 1 replica each
# (start_cluster: redis/redis.conf plus redis/cluster.conf, the repository's ACL), and
# scripts/cluster_pubsub.py publishing CLUSTER_EVENTS invalidations over CLUSTER_FAMILIES
# families as the gateway's mutations do, in classic mode (PUBLISH invalidate:contentQueue on
# the family's master) and in sharded mode (SPUBLISH invalidate:{F} there), alternating, three
# rounds, with two subscribers shaped as two gateways (classic: one PSUBSCRIBE invalidate:*
# each; sharded: one SSUBSCRIBE per family on its master). Each line: the events per second
# delivered to both and the CPU each of the 6 nodes spent per event (INFO cpu).

cluster_stop() {
    stop_cluster "$TMP/cluster" >/dev/null 2>&1 || true
}

cluster_matrix() {
    echo "## Redis Cluster: classic against sharded pub/sub"
    echo
    echo '```'
    if ! start_cluster "$TMP/cluster" 3 1; then
        echo '```'
        FAILED+=("start_cluster")
        return
    fi
    local ports password round mode
    ports="$(cluster_ports "$TMP/cluster" | paste -sd, -)"
    password="$(cat "$TMP/cluster/acl/gateway.password")"
    echo "nodes :${ports//,/, :}"
    echo '```'
    echo
    for round in 1 2 3; do
        for mode in classic sharded; do
            # The password through the environment: step prints the command line.
            REDIS_PASSWORD="$password" step "cluster pub/sub: $mode, $CLUSTER_EVENTS events over $CLUSTER_FAMILIES families, 2 subscribers as gateways (round $round)" \
                cluster python3 scripts/cluster_pubsub.py --ports "$ports" --user flimmer \
                --mode "$mode" --events "$CLUSTER_EVENTS" --families "$CLUSTER_FAMILIES" --gateways 2
        done
    done
    cluster_stop
}
