# shellcheck shell=bash
# MATRIX=ha of scripts/bench, sourced by it after its targets and helpers (step, TMP, BIN,
# BENCH, JSON, UPLOADS, CONCURRENCY, FAILOVERS, FAILED, side_gateway): a Sentinel topology (start_ha: master,
# 2 replicas, 3 Sentinels, redis/redis.conf with appendfsync always plus redis/ha.conf), two
# gateways on its redis+sentinel:// URL, one that waits for 1 replica after each EXEC
# (--redis-min-replicas 1, the default under Sentinel) and one that does not (0), and
#   - uploads through each, alternating (1, 0, 1, 0), UPLOADS each at CONCURRENCY clients;
#   - FAILOVERS kill -9s of the master, timed from the kill to the first 2xx upload through the
#     first gateway (scripts/failover-times).

# ha_gateway MIN_REPLICAS: starts a gateway on the topology (side_gateway); prints its URL, its
# pid in $TMP/ha-gateway-MIN_REPLICAS.pid.
ha_gateway() {
    side_gateway "ha-gateway-$1" "$(ha_gateway_url "$TMP/ha")" --redis-min-replicas "$1"
}

ha_stop() {
    stop_side_gateways ha-gateway-
    stop_ha "$TMP/ha" >/dev/null 2>&1 || true
}

ha_matrix() {
    echo "## Sentinel topology"
    echo
    echo '```'
    if ! start_ha "$TMP/ha" 2 3; then
        echo '```'
        FAILED+=("start_ha")
        return
    fi
    local waiting not_waiting round min url token
    waiting="$(ha_gateway 1)" || { echo '```'; FAILED+=("the gateway with --redis-min-replicas 1"); ha_stop; return; }
    not_waiting="$(ha_gateway 0)" || { echo '```'; FAILED+=("the gateway with --redis-min-replicas 0"); ha_stop; return; }
    echo "master :$(ha_master_port "$TMP/ha"), Sentinels :$(ha_sentinel_ports "$TMP/ha" | paste -sd, -); gateway $waiting (--redis-min-replicas 1), gateway $not_waiting (--redis-min-replicas 0)"
    echo '```'
    echo
    for round in 1 2; do
        for min in 1 0; do
            url="$waiting"
            ((min == 0)) && url="$not_waiting"
            step "uploads on Sentinel: --redis-min-replicas $min, $CONCURRENCY clients, $UPLOADS uploads (round $round)" gateway \
                "$BENCH" uploads --dev --url "$url" --concurrency "$CONCURRENCY" --count "$UPLOADS" --json-out "$JSON"
        done
    done
    token="$("$BIN/flimmer-sync" token --dev --family bench-failover --user kid --role child --ttl 7200 </dev/null)"
    step "failovers: $FAILOVERS kill -9s of the master, kill to first 2xx upload (--redis-min-replicas 1)" gateway \
        scripts/failover-times "$TMP/ha" "$waiting" "$token" "$FAILOVERS"
    ha_stop
}
