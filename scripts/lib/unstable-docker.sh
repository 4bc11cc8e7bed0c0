# shellcheck shell=bash
# A newer Docker next to the system's: Debian unstable's docker.io (dockerd
# 28.5 with BuildKit 0.25), docker-cli, docker-buildx (0.29) and containerd
# (2.1), unpacked under a private directory without touching the system's
# packages. Their binaries run on Debian 12 (glibc 2.36); Debian 12's own
# runc is used.
#
# Source this file (a library, not a script):
#
#   . scripts/lib/unstable-docker.sh
#   root="$(unstable_docker_ensure)"     # prints the unpacked root
#   "$root/usr/sbin/dockerd" --version
#
# How it downloads: `apt-get download` with a private apt configuration
# (its own sources file, state and cache directories under the target
# directory). The source entry is the machine's own Debian entry (from
# /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list) with the
# suite changed to unstable, so no mirror is written into the repository.
#
# Environment:
#   UNSTABLE_DOCKER_DIR   where to unpack (default: <repo>/target/docker-unstable)
#   UNSTABLE_DOCKER_PKGS  the packages (default below)

UNSTABLE_DOCKER_PKGS="${UNSTABLE_DOCKER_PKGS:-docker.io docker-cli docker-buildx containerd}"
_UD_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

_ud_log() { echo "unstable-docker: $*" >&2; }

# _ud_source_entry: print a deb822 source stanza for Debian unstable, made
# from the machine's first Debian entry (deb822 or one-line format).
_ud_source_entry() {
  local f=/etc/apt/sources.list.d/debian.sources
  if [ -r "$f" ]; then
    # The first stanza whose suites include a plain release name (not
    # -security/-updates); keep its URIs, components and keyring.
    awk -v RS= -v ORS='\n\n' '
      /(^|\n)Types:[^\n]*deb([ \t]|$|\n)/ && /(^|\n)Suites:[ \t]*[a-z]+([ \t]|$|\n)/ { print; exit }
    ' "$f" | sed -E -e 's/^Suites:.*/Suites: unstable/' -e '/^#/d'
    return 0
  fi
  local line uri comps
  line="$(grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -vE -- '-(security|updates|backports)' | head -n 1)"
  [ -n "$line" ] || return 1
  # deb [opts] uri suite comps...
  line="$(echo "$line" | sed -E 's/\[[^]]*\]//')"
  uri="$(echo "$line" | awk '{print $2}')"
  comps="$(echo "$line" | awk '{for (i = 4; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "")}')"
  printf 'Types: deb\nURIs: %s\nSuites: unstable\nComponents: %s\n' "$uri" "${comps:-main}"
  [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] &&
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
}

# unstable_docker_ensure: download and unpack the packages once (a stamp
# file names what is there); print the unpacked root on stdout.
unstable_docker_ensure() {
  local dir="${UNSTABLE_DOCKER_DIR:-$_UD_REPO_ROOT/target/docker-unstable}"
  local root="$dir/root" stamp="$dir/root/.packages"
  if [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$UNSTABLE_DOCKER_PKGS" ] &&
    [ -x "$root/usr/sbin/dockerd" ]; then
    echo "$root"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || { _ud_log "apt-get not found (this needs a Debian machine)"; return 1; }
  local apt="$dir/apt"
  rm -rf "$apt" "$root" "$dir/debs"
  mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$apt/state/lists/partial" \
    "$apt/cache/archives/partial" "$dir/debs" "$root"
  : >"$apt/state/status"
  if ! _ud_source_entry >"$apt/etc/sources.list.d/unstable.sources" ||
    ! grep -q '^URIs:' "$apt/etc/sources.list.d/unstable.sources"; then
    _ud_log "found no Debian source entry in /etc/apt to derive an unstable entry from"
    return 1
  fi
  local -a opts=(
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
    -o "Dir::Etc::Preferences=/dev/null"
    -o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
    -o "Dir::State=$apt/state"
    -o "Dir::State::status=$apt/state/status"
    -o "Dir::Cache=$apt/cache"
    -o "Acquire::Languages=none"
    -o "APT::Sandbox::User=root"
    -o "Debug::NoLocking=1"
  )
  _ud_log "fetching Debian unstable's package index (private apt state in $apt)"
  apt-get "${opts[@]}" -q update >&2 || { _ud_log "apt-get update of the unstable index failed"; return 1; }
  # shellcheck disable=SC2086 # a list of package names
  (cd "$dir/debs" && apt-get "${opts[@]}" -q download $UNSTABLE_DOCKER_PKGS >&2) ||
    { _ud_log "apt-get download $UNSTABLE_DOCKER_PKGS failed"; return 1; }
  local deb
  for deb in "$dir"/debs/*.deb; do
    dpkg -x "$deb" "$root" || { _ud_log "dpkg -x $deb failed"; return 1; }
  done
  {
    echo "$UNSTABLE_DOCKER_PKGS"
    (cd "$dir/debs" && ls -1 -- *.deb)
  } >"$stamp"
  rm -rf "$dir/debs" "$apt/cache/archives"
  _ud_log "unpacked into $root: $(tail -n +2 "$stamp" | tr '\n' ' ')"
  echo "$root"
}

# unstable_docker_path root: the PATH for that dockerd, so it starts its own
# containerd 2.1 and shim rather than the system's (runc stays Debian 12's).
unstable_docker_path() {
  local root="${1:?usage: unstable_docker_path <root>}"
  echo "$root/usr/bin:$root/usr/sbin:$root/usr/libexec/docker:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}
