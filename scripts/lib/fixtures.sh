# shellcheck shell=bash
# Test/demo fixtures for artifact-frontend: a private dockerd (with its built-in
# BuildKit) and a local registry on 127.0.0.1:5000, both started under a
# scratch directory and stopped again by the PIDs recorded there.
#
# Source this file (it is a library, not a script):
#
#   . "$(dirname "$0")/lib/fixtures.sh"
#   fixtures_ensure_deps
#   dir="$(mktemp -d /tmp/afx.XXXX)"      # keep it short: socket path limit
#   trap 'fixtures_stop "$dir"; rm -rf "$dir"' EXIT
#   fixtures_start "$dir"                 # exports DOCKER_HOST
#   push_frontend_image 127.0.0.1:5000/artifact-frontend:dev
#
# Use "$FIXTURES_DOCKER", the client that goes with the daemon (by default
# /usr/bin/docker, Debian's docker.io client, matching dockerd 20.10); a
# newer client elsewhere on PATH may speak an API the daemon lacks.
#
# FIXTURES_DAEMON picks the daemon fixtures_start starts:
#   docker-20.10            Debian 12's dockerd (the default)
#   docker-28.5             Debian unstable's dockerd 28.5 with buildx 0.29,
#                           fetched by unstable-docker.sh into target/
#   docker-28.5-containerd  the same with the containerd image store
# For the latter two, fixtures_start sets FIXTURES_DOCKER to their client
# and exports DOCKER_CONFIG (a private one holding the buildx plugin).
#
# Files under <dir>:
#   registry.yml registry.log registry.pid  (absent when a registry was reused)
#   dockerd.log dockerd.pid                 (PID of the dockerd we started)
#   docker.pid                              (written by dockerd itself)
#   docker.sock docker/ exec/ registry/     (daemon state)
#   daemon.json docker-config/              (daemon config, client config)
#
# Only processes started by fixtures_start are ever signalled, by PID.

# Registry address (override only for testing; callers expect 127.0.0.1:5000).
FIXTURES_REGISTRY_ADDR="${FIXTURES_REGISTRY_ADDR:-127.0.0.1:5000}"
FIXTURES_DOCKER="/usr/bin/docker"
FIXTURES_DAEMON="${FIXTURES_DAEMON:-docker-20.10}"
FIXTURES_TIMEOUT="${FIXTURES_TIMEOUT:-60}"
FIXTURES_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=apt.sh
. "$FIXTURES_REPO_ROOT/scripts/lib/apt.sh"

_fixtures_log() { echo "fixtures: $*" >&2; }

# fixtures_ensure_deps: make sure dockerd, /usr/bin/docker, docker-registry,
# skopeo and jq are installed; installs them with apt-get when running as root,
# otherwise fails telling which command to run.
fixtures_ensure_deps() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || missing+=(dockerd)
  [ -x "$FIXTURES_DOCKER" ] || missing+=("$FIXTURES_DOCKER")
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
  # htpasswd: the registries with auth that the push tests start.
  command -v htpasswd >/dev/null 2>&1 || missing+=(htpasswd)
  # openssl: the CA and certificate of the TLS registry the push tests start.
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  [ -x /bin/busybox ] || missing+=(busybox)
  [ "${#missing[@]}" -eq 0 ] && return 0

  local pkgs="docker.io docker-registry apache2-utils openssl skopeo jq busybox-static"
  if [ "$(id -u)" -ne 0 ]; then
    _fixtures_log "missing: ${missing[*]}"
    _fixtures_log "run as root: apt-get update && apt-get install -y $pkgs"
    return 1
  fi
  _fixtures_log "missing: ${missing[*]}; installing $pkgs"
  if [ -z "${_FIXTURES_APT_UPDATED:-}" ]; then
    apt_wait apt-get update
    _FIXTURES_APT_UPDATED=1
  fi
  # shellcheck disable=SC2086
  apt_wait apt-get install -y $pkgs
}

# _fixtures_registry_up: true when the registry at FIXTURES_REGISTRY_ADDR
# answers GET /v2/ with HTTP 200 (plain HTTP/1.0 over bash's /dev/tcp).
_fixtures_registry_up() {
  local host="${FIXTURES_REGISTRY_ADDR%:*}" port="${FIXTURES_REGISTRY_ADDR##*:}"
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "GET /v2/ HTTP/1.0\r\nHost: %s:%s\r\n\r\n" "$1" "$2" >&3
    IFS= read -r status <&3 || exit 1
    case "$status" in "HTTP/1."[01]" 200"*) exit 0 ;; *) exit 1 ;; esac
  ' _ "$host" "$port" 2>/dev/null
}

# _fixtures_alive pid: true when the process exists and is not a zombie.
_fixtures_alive() {
  local pid="$1" state
  [ -r "/proc/$pid/stat" ] || return 1
  state="$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# _fixtures_owned pid dir: true when pid is alive and its command line
# mentions dir, i.e. it is (still) a process we started under dir.
_fixtures_owned() {
  local pid="$1" dir="$2"
  _fixtures_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir"
}

# _fixtures_tail file: print the last lines of a log file to stderr.
_fixtures_tail() {
  [ -f "$1" ] || return 0
  _fixtures_log "---- last lines of $1 ----"
  tail -n 40 "$1" >&2 || true
  _fixtures_log "----"
}

# fixtures_start dir: start a registry (unless one already answers on
# 127.0.0.1:5000) and a private dockerd under dir, wait until both answer
# (bounded by FIXTURES_TIMEOUT seconds, default 60) and export DOCKER_HOST.
fixtures_start() {
  local dir="${1:?usage: fixtures_start <dir>}"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  local sock="$dir/docker.sock"
  if [ "${#sock}" -gt 80 ]; then
    _fixtures_log "warning: '$dir' is long; dockerd/containerd socket paths may exceed the ~104 byte limit (use mktemp -d /tmp/afx.XXXX)"
  fi

  # --- registry ---
  if _fixtures_registry_up; then
    _fixtures_log "reusing the registry already answering on $FIXTURES_REGISTRY_ADDR"
    rm -f "$dir/registry.pid"
  else
    mkdir -p "$dir/registry"
    cat >"$dir/registry.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/registry
  delete:
    enabled: true
http:
  addr: $FIXTURES_REGISTRY_ADDR
EOF
    docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 </dev/null &
    echo "$!" >"$dir/registry.pid"
    _fixtures_log "started docker-registry (pid $(cat "$dir/registry.pid"))"
  fi

  # --- dockerd ---
  local dockerd_bin dockerd_path="$PATH" store=false unstable
  local -a extra=()
  case "$FIXTURES_DAEMON" in
    docker-20.10)
      dockerd_bin="$(command -v dockerd 2>/dev/null || echo /usr/sbin/dockerd)"
      FIXTURES_DOCKER=/usr/bin/docker
      ;;
    docker-28.5 | docker-28.5-containerd)
      # shellcheck source=unstable-docker.sh
      . "$FIXTURES_REPO_ROOT/scripts/lib/unstable-docker.sh"
      unstable="$(unstable_docker_ensure)" || return 1
      dockerd_bin="$unstable/usr/sbin/dockerd"
      dockerd_path="$(unstable_docker_path "$unstable")"
      FIXTURES_DOCKER="$unstable/usr/bin/docker"
      [ "$FIXTURES_DAEMON" = docker-28.5-containerd ] && store=true
      extra=(--containerd-namespace=artifact-fixtures --containerd-plugins-namespace=artifact-fixtures-plugins)
      mkdir -p "$dir/docker-config/cli-plugins"
      ln -sf "$unstable/usr/libexec/docker/cli-plugins/docker-buildx" "$dir/docker-config/cli-plugins/docker-buildx"
      export DOCKER_CONFIG="$dir/docker-config"
      ;;
    *)
      _fixtures_log "FIXTURES_DAEMON=$FIXTURES_DAEMON: use docker-20.10, docker-28.5 or docker-28.5-containerd"
      return 1
      ;;
  esac
  printf '{"features":{"containerd-snapshotter":%s}}\n' "$store" >"$dir/daemon.json"
  mkdir -p "$dir/docker" "$dir/exec"
  PATH="$dockerd_path" "$dockerd_bin" \
    --config-file "$dir/daemon.json" \
    --data-root "$dir/docker" \
    --exec-root "$dir/exec" \
    -H "unix://$sock" \
    --pidfile "$dir/docker.pid" \
    --iptables=false --ip6tables=false --bridge=none \
    --insecure-registry "$FIXTURES_REGISTRY_ADDR" \
    "${extra[@]}" \
    >"$dir/dockerd.log" 2>&1 </dev/null &
  echo "$!" >"$dir/dockerd.pid"
  _fixtures_log "started $FIXTURES_DAEMON (pid $(cat "$dir/dockerd.pid")), socket $sock"

  # --- wait for both ---
  local deadline=$((SECONDS + FIXTURES_TIMEOUT)) docker_ok="" registry_ok=""
  while :; do
    if [ -z "$docker_ok" ] && "$FIXTURES_DOCKER" -H "unix://$sock" version >/dev/null 2>&1; then
      docker_ok=1
    fi
    if [ -z "$registry_ok" ] && _fixtures_registry_up; then
      registry_ok=1
    fi
    [ -n "$docker_ok" ] && [ -n "$registry_ok" ] && break

    local failed=""
    if ! _fixtures_alive "$(cat "$dir/dockerd.pid")"; then
      failed="dockerd exited"
    elif [ -f "$dir/registry.pid" ] && ! _fixtures_alive "$(cat "$dir/registry.pid")"; then
      failed="docker-registry exited"
    elif [ "$SECONDS" -ge "$deadline" ]; then
      failed="timed out after ${FIXTURES_TIMEOUT}s (dockerd ready: ${docker_ok:-no}, registry ready: ${registry_ok:-no})"
    fi
    if [ -n "$failed" ]; then
      _fixtures_log "fixtures_start: $failed"
      _fixtures_tail "$dir/dockerd.log"
      _fixtures_tail "$dir/registry.log"
      return 1
    fi
    sleep 0.5
  done

  export DOCKER_HOST="unix://$sock"
  _fixtures_log "ready: DOCKER_HOST=$DOCKER_HOST, registry $FIXTURES_REGISTRY_ADDR"
}

# _fixtures_stop_pid pid dir name: TERM the process (if it is still ours),
# wait up to 20s, then KILL it.
_fixtures_stop_pid() {
  local pid="$1" dir="$2" name="$3" i
  case "$pid" in '' | *[!0-9]*) return 0 ;; esac
  if ! _fixtures_owned "$pid" "$dir"; then
    wait "$pid" 2>/dev/null || true # reap it if it is our (zombie) child
    return 0
  fi
  _fixtures_log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    _fixtures_alive "$pid" || break
    sleep 0.5
  done
  if _fixtures_alive "$pid"; then
    _fixtures_log "$name (pid $pid) did not exit after 20s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      _fixtures_alive "$pid" || break
      sleep 0.25
    done
  fi
  wait "$pid" 2>/dev/null || true
}

# fixtures_unmount dir: unmount everything mounted below dir (dockerd leaves
# e.g. a bind mount of its data root and overlay mounts), deepest first, so
# that rm -rf dir works.
fixtures_unmount() {
  local dir="${1:?usage: fixtures_unmount <dir>}" mnt
  [ -d "$dir" ] || return 0
  dir="$(cd "$dir" && pwd)"
  [ -r /proc/mounts ] || return 0
  # /proc/mounts escapes blanks as octal (\040); printf %b decodes them.
  while IFS= read -r mnt; do
    [ -n "$mnt" ] || continue
    umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null ||
      _fixtures_log "warning: could not unmount $mnt"
  done < <(
    while read -r _ target _; do
      target="$(printf '%b' "$target")"
      case "$target" in "$dir" | "$dir"/*) echo "$target" ;; esac
    done </proc/mounts | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-
  )
}

# fixtures_stop dir: stop the dockerd and registry started by fixtures_start
# under dir (by their recorded PIDs only), plus dockerd's containerd if it
# outlived dockerd, and unmount leftovers under dir. Does not delete dir.
fixtures_stop() {
  local dir="${1:?usage: fixtures_stop <dir>}"
  [ -d "$dir" ] || return 0
  dir="$(cd "$dir" && pwd)"
  if [ -f "$dir/dockerd.pid" ]; then
    _fixtures_stop_pid "$(cat "$dir/dockerd.pid")" "$dir" dockerd
    rm -f "$dir/dockerd.pid"
  fi
  # dockerd normally stops its managed containerd; if dockerd had to be
  # killed, containerd (whose command line names our exec root) may remain.
  if [ -f "$dir/exec/containerd/containerd.pid" ]; then
    _fixtures_stop_pid "$(cat "$dir/exec/containerd/containerd.pid")" "$dir" containerd
  fi
  if [ -f "$dir/registry.pid" ]; then
    _fixtures_stop_pid "$(cat "$dir/registry.pid")" "$dir" docker-registry
    rm -f "$dir/registry.pid"
  fi
  fixtures_unmount "$dir"
  if [ "${DOCKER_HOST:-}" = "unix://$dir/docker.sock" ]; then
    unset DOCKER_HOST
  fi
  if [ "${DOCKER_CONFIG:-}" = "$dir/docker-config" ]; then
    unset DOCKER_CONFIG
  fi
}

# push_frontend_image ref [oci-ref]: copy the image built by scripts/build-image
# (default oci:<repo>/target/frontend-image:dev) to docker://ref, over plain
# HTTP (e.g. ref=127.0.0.1:5000/artifact-frontend:dev), with every platform
# of an image index.
push_frontend_image() {
  local ref="${1:?usage: push_frontend_image <registry/repo:tag> [oci:<layout>:<tag>]}"
  local src="${2:-oci:$FIXTURES_REPO_ROOT/target/frontend-image:dev}"
  skopeo copy --all --dest-tls-verify=false "$src" "docker://$ref"
}
