# shellcheck shell=bash
# The load rig shared by scripts/bench and scripts/profile: one
# fake-gcs-server seeded with the sample layout, and Viceroy instances in
# front of it, all on loopback and all stopped on exit. Source it after
# scripts/lib/tools.sh, with the tools installed.

RIG="$(mktemp -d)"
rig_pids=()
rig_cleanup() {
    # Viceroys are started inside $(...), so their PIDs are kept in files.
    for pid in "${rig_pids[@]}" $(cat "$RIG"/pid-* 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$RIG"
}
trap rig_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

scripts/seed-origin "$RIG/data" >/dev/null
GCS_PORT="$(free_port)"
"$(fake_gcs_binary)" -scheme http -host 127.0.0.1 -port "$GCS_PORT" -backend memory \
    -log-level warn -data "$RIG/data" 2>/dev/null &
rig_pids+=($!)

# The 4 KiB object of the small-object runs, by its public path.
SMALL_OBJECT="release/v1.30.4/bin/linux/amd64/kube-apiserver.docker_tag"

production_store() { # [OVERRIDES_JSON] -> Config Store items as production has them
    # What `fastly compute publish` creates (fastly.toml's [setup] items,
    # every default) with OVERRIDES_JSON's items over them, and the
    # `snapshot` that `dl-edge-ops config export` writes from them: the
    # service then reads two keys per request, as in production, not 27.
    local overrides="${1:-}"
    [[ -n "$overrides" ]] || overrides='{}'
    cargo build --release --locked --quiet -p dl-edge-ops
    python3 - "$overrides" >"$RIG/store-items.json" <<'PY'
import json, sys, tomllib
setup = tomllib.load(open("fastly.toml", "rb"))["setup"]["config_stores"]["dl_edge_config"]
items = {key: item["value"] for key, item in setup["items"].items()}
items.update(json.loads(sys.argv[1]))
print(json.dumps(items))
PY
    python3 - "$RIG/store-items.json" "$(target/release/dl-edge-ops config export "$RIG/store-items.json")" <<'PY'
import json, sys
items = json.load(open(sys.argv[1]))
items["snapshot"] = sys.argv[2]
print(json.dumps(items))
PY
}

start_viceroy() { # WASM CONFIG_JSON|TEMPLATE.toml [VICEROY ARGS...] -> prints port; PID in $RIG/pid-<port>
    # CONFIG_JSON is the service's Config Store items. Another module (a
    # peer's, for comparison) brings its own Viceroy config as a .toml file
    # in which @ORIGIN@ and @ORIGIN_HOST@ stand for the origin.
    local wasm="$1" config="$2" port
    shift 2
    port="$(free_port)"
    if [[ "$config" == *.toml ]]; then
        sed -e "s|@ORIGIN@|http://127.0.0.1:$GCS_PORT|g" -e "s|@ORIGIN_HOST@|127.0.0.1:$GCS_PORT|g" \
            "$config" >"$RIG/viceroy-$port.toml"
    else
        viceroy_config --origin "http://127.0.0.1:$GCS_PORT" --config "$config" >"$RIG/viceroy-$port.toml"
    fi
    "$VICEROY" serve "$@" -C "$RIG/viceroy-$port.toml" --addr "127.0.0.1:$port" "$wasm" \
        >"$RIG/viceroy-$port.log" 2>&1 &
    echo $! >"$RIG/pid-$port"
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.1
    done
    echo "$port"
}
