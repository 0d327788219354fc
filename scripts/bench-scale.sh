# shellcheck shell=bash
# MATRIX=scale of scripts/bench, sourced by it after its targets and helpers (step, TMP, BIN,
# BENCH, JSON, FAILED, REDIS_PORT, GATEWAY_REDIS_URL, side_gateway): SCALE_GATEWAYS release
# gateways (6) on the one Redis, each on its own port with every default of `serve` (--dev and
# --log-level warning aside), and no balancer in front: the load processes spread the streams
# over their ports. Then `flimmer-bench scale` with SCALE_STREAMS streams (100000): one family
# of SCALE_BROADCAST streams (19000), the rest in families of 100; phase 1 sends 5 events to
# every small family at SCALE_RATE events per second in all (200), phase 2 sends 5 events to the
# broadcast family at 1 per second. A process may hold 20,000 open files here, so the streams
# need several gateways and several load processes (scale-worker, one per gateway).

scale_stop() {
    stop_side_gateways scale-gateway-
}

scale_matrix() {
    local urls="" pids="" index base
    echo "## Scale: $SCALE_STREAMS streams on $SCALE_GATEWAYS gateways"
    echo
    echo '```'
    for index in $(seq 1 "$SCALE_GATEWAYS"); do
        if ! base="$(side_gateway "scale-gateway-$index" "$GATEWAY_REDIS_URL")"; then
            echo '```'
            FAILED+=("scale gateway $index")
            scale_stop
            return
        fi
        urls+="${urls:+,}$base"
        pids+="${pids:+,}$(cat "$TMP/scale-gateway-$index.pid")"
    done
    echo "gateways: $urls (pids $pids), open-file limit $(ulimit -n) each; serve flags: --dev --log-level warning${SERVE_ARGS:+ $SERVE_ARGS}"
    echo '```'
    echo
    step "scale: $SCALE_STREAMS streams on $SCALE_GATEWAYS gateways, families of 100 at $SCALE_RATE ev/s, then one family of $SCALE_BROADCAST" gateway \
        "$BENCH" scale --dev --streams "$SCALE_STREAMS" --broadcast-streams "$SCALE_BROADCAST" --rate "$SCALE_RATE" \
        --gateways "$urls" --gateway-pids "$pids" --gateway-redis-url "$GATEWAY_REDIS_URL" \
        --redis-pid "$(redis_server_pid "$REDIS_PORT")" --json-out "$JSON"
    local pid
    for pid in ${pids//,/ }; do
        kill -0 "$pid" 2>/dev/null || { echo "a scale gateway (pid $pid) is gone"; FAILED+=("scale gateway pid $pid gone"); }
    done
    scale_stop
}
