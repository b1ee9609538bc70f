#!/usr/bin/env bash
# The tools some tests run besides Node.js and Java, installed when missing and this is a Debian machine on
# which we are root (as on CI); otherwise this says what to install, and the tests that need it fail with
# the same advice. `npm test` runs it first (pretest).
set -euo pipefail
cd "$(dirname "$0")/.."

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

# Debian packages, installed when missing: `apt_install <what they are for> <command>:<package>…`.
apt_install() {
  local purpose=$1 missing=() pair
  shift
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! can_apt; then
    echo "missing: ${missing[*]} (Debian: apt-get install ${missing[*]}); ${purpose} will fail"
    return 0
  fi
  echo "installing: ${missing[*]}"
  # The package lists may be missing or stale on a fresh machine: refresh them only when needed.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# tshark and jq: the capture tests check probestream's readers against the original tshark | jq pipeline.
# wireshark-common would otherwise stop to ask whether non-root users may capture.
if can_apt; then
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
fi
apt_install "the tshark parity tests" tshark:tshark jq:jq
# chromium: the console's browser test drives it headless (playwright-core, no downloaded browser);
# prometheus: the dashboard test scrapes a running instance and runs every panel's query through it.
apt_install "the console's browser test" chromium:chromium
apt_install "the Prometheus dashboard test" prometheus:prometheus
tshark --version 2>/dev/null | sed -n 1p || true
chromium --version 2>/dev/null || true
prometheus --version 2>&1 | sed -n 1p || true

# The Docker Compose plugin: test/compose.test.ts runs `docker compose config` (no engine needed). This
# machine kind has the Docker client but not the plugin, and no route to GitHub's release downloads, so
# build the plugin from the Go module proxy: about 3 minutes the first time, seconds once Go's module and
# build caches are warm. Its go.mod has exclude directives, which `go install <module>@<version>` refuses:
# download the module, then build it in its own folder.
compose_version=v2.40.3
if ! command -v docker >/dev/null 2>&1; then
  echo "no docker client on PATH: test/compose.test.ts will fail (it needs \`docker compose\`)"
elif ! docker compose version >/dev/null 2>&1; then
  if command -v go >/dev/null 2>&1; then
    echo "building the Docker Compose plugin ${compose_version} with $(go version | cut -d' ' -f3)"
    go mod download "github.com/docker/compose/v2@${compose_version}"
    plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
    mkdir -p "$plugins"
    (cd "$(go env GOMODCACHE)/github.com/docker/compose/v2@${compose_version}" &&
      go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=${compose_version}" \
        -o "$plugins/docker-compose" ./cmd)
    chmod +x "$plugins/docker-compose"
  else
    echo "no go toolchain to build the Docker Compose plugin: test/compose.test.ts will fail"
  fi
fi
docker compose version 2>/dev/null || true
