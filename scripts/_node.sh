# Sourced by scripts/test after _venv.sh: install Cozy's JavaScript client
# (tests/cozy_client_js, pinned by its package-lock.json) for the scenario that
# holds the fake Cozy stack to it. npm ci runs only when the lock changed.
JS_DIR="$ROOT/tests/cozy_client_js"
NODE_HELP="Install Node.js 18 or newer with npm (Debian/Ubuntu: apt-get install nodejs npm; elsewhere: the installers on nodejs.org), then run scripts/test again."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "scripts/test: node and npm are needed: tests/test_cozy_scenario.py drives the fake Cozy stack with Cozy's own JavaScript client. $NODE_HELP" >&2
    exit 1
fi
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
    echo "scripts/test: node $(node --version) is too old for the Cozy client scenario (it needs fetch, Node 18+). $NODE_HELP" >&2
    exit 1
fi
NODE_STAMP="$JS_DIR/node_modules/.installed-$(cat "$JS_DIR/package-lock.json" "$JS_DIR/.npmrc" | sha1sum | cut -c1-12)"
if [ ! -f "$NODE_STAMP" ]; then
    echo "Installing Cozy's JavaScript client into $JS_DIR/node_modules (log: $VENV/npm.log)"
    # .npmrc beside the lock holds legacy-peer-deps: cozy-client's React Native peers are not wanted here.
    if ! (cd "$JS_DIR" && npm ci) > "$VENV/npm.log" 2>&1; then
        tail -n 30 "$VENV/npm.log" >&2
        echo "scripts/test: npm ci failed in $JS_DIR; the whole log is in $VENV/npm.log" >&2
        exit 1
    fi
    touch "$NODE_STAMP"
fi
