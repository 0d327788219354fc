# shellcheck shell=bash
# MATRIX=cluster of scripts/bench, sourced by it after its targets and helpers (step, TMP, BIN,
# FAILED, CLUSTER_EVENTS, CLUSTER_FAMILIES, CLUSTER_STREAMS, side_gateway): a Redis Cluster of 3 masters with 1
# replica each (start_cluster: redis/redis.conf plus redis/cluster.conf, the repository's ACL),
# and scripts/cluster_pubsub.py publishing invalidations over CLUSTER_FAMILIES families as the
# gateway's mutations do (classic: PUBLISH invalidate:contentQueue on the family's master;
# sharded: SPUBLISH invalidate:{F} there), alternating classic and sharded, in two parts:
#   1. Redis alone: CLUSTER_EVENTS events, two subscribers shaped as two gateways (classic: one
#      PSUBSCRIBE invalidate:* each; sharded: one SSUBSCRIBE per family on its master), three
#      rounds; each line gives the events per second and the CPU each node spent per event;
#   2. end to end: two release gateways on the cluster in the mode measured (--redis-pubsub),
#      CLUSTER_STREAMS SSE streams over the families and both gateways, CLUSTER_EVENTS / 4
#      events, two rounds; each line adds every delivery counted and each gateway's CPU per
#      delivery. The same on one Redis (not a cluster) for the 1-master case.

cluster_stop() {
    cluster_gateways_stop
    stop_cluster "$TMP/cluster" >/dev/null 2>&1 || true
    stop_redis "$TMP/single" >/dev/null 2>&1 || true
}

# cluster_gateways_start URL MODE: two release gateways (side_gateway) on REDIS URL with
# --redis-pubsub MODE; their base URLs in CLUSTER_GATEWAY_URLS, pids in CLUSTER_GATEWAY_PIDS.
cluster_gateways_start() {
    local url="$1" mode="$2" index base
    CLUSTER_GATEWAY_URLS="" CLUSTER_GATEWAY_PIDS=""
    for index in 1 2; do
        base="$(side_gateway "cluster-gateway-$index" "$url" --redis-pubsub "$mode" --max-streams-per-user 100000)" || return 1
        CLUSTER_GATEWAY_URLS+="${CLUSTER_GATEWAY_URLS:+,}$base"
        CLUSTER_GATEWAY_PIDS+="${CLUSTER_GATEWAY_PIDS:+,}$(cat "$TMP/cluster-gateway-$index.pid")"
    done
}

cluster_gateways_stop() {
    stop_side_gateways cluster-gateway-
}

# cluster_end_to_end NAME PORTS URL PASSWORD MODE ROUND: part 2 for one mode on one store.
cluster_end_to_end() {
    local name="$1" ports="$2" url="$3" password="$4" mode="$5" round="$6"
    if ! cluster_gateways_start "$url" "$mode"; then
        FAILED+=("gateways ($mode) on $name")
        cluster_gateways_stop
        return
    fi
    REDIS_PASSWORD="$password" step "end to end on $name: $mode, $((CLUSTER_EVENTS / 4)) events over $CLUSTER_FAMILIES families, $CLUSTER_STREAMS streams on 2 gateways (round $round)" \
        gateway python3 scripts/cluster_pubsub.py --ports "$ports" --user flimmer --mode "$mode" \
        --events "$((CLUSTER_EVENTS / 4))" --families "$CLUSTER_FAMILIES" --sse "$CLUSTER_GATEWAY_URLS" \
        --tokens "$TMP/cluster-tokens" --streams "$CLUSTER_STREAMS" --gateway-pids "$CLUSTER_GATEWAY_PIDS"
    cluster_gateways_stop
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
    local ports password round mode single_port i
    ports="$(cluster_ports "$TMP/cluster" | paste -sd, -)"
    password="$(cat "$TMP/cluster/acl/gateway.password")"
    echo "nodes :${ports//,/, :}"
    : >"$TMP/cluster-tokens"
    for ((i = 0; i < CLUSTER_FAMILIES; i++)); do
        printf 'bench-%d %s\n' "$i" "$("$BIN/flimmer-sync" token --dev --family "bench-$i" --user "parent-$i" --role parent --ttl 7200 </dev/null)" >>"$TMP/cluster-tokens"
    done
    echo '```'
    echo
    for round in 1 2 3; do
        for mode in classic sharded; do
            # The password through the environment: step prints the command line.
            REDIS_PASSWORD="$password" step "Redis alone: $mode, $CLUSTER_EVENTS events over $CLUSTER_FAMILIES families, 2 subscribers as gateways (round $round)" \
                cluster python3 scripts/cluster_pubsub.py --ports "$ports" --user flimmer \
                --mode "$mode" --events "$CLUSTER_EVENTS" --families "$CLUSTER_FAMILIES" --gateways 2
        done
    done
    for round in 1 2; do
        for mode in classic sharded; do
            cluster_end_to_end "the cluster" "$ports" "$(cluster_seed_url "$TMP/cluster")" "$password" "$mode" "$round"
        done
    done
    stop_cluster "$TMP/cluster" >/dev/null 2>&1 || true

    # One master: one Redis, not a cluster, with the same configuration and ACL.
    single_port="$(free_port)"
    render_acl "$TMP/single-acl"
    echo '```'
    # start_redis pings it as the operator: its default user is off.
    if ! REDIS_CLI_USER=operator REDIS_CLI_PASS="$(cat "$TMP/single-acl/operator.password")" \
        start_redis "$single_port" "$TMP/single" --aclfile "$TMP/single-acl/users.acl"; then
        echo '```'
        FAILED+=("the single Redis")
        return
    fi
    echo "one Redis :$single_port"
    echo '```'
    echo
    password="$(cat "$TMP/single-acl/gateway.password")"
    for round in 1 2; do
        for mode in classic sharded; do
            cluster_end_to_end "one Redis" "$single_port" "redis://flimmer:$password@127.0.0.1:$single_port/0" "$password" "$mode" "$round"
        done
    done
    stop_redis "$TMP/single" >/dev/null 2>&1 || true
}
