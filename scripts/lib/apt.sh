# shellcheck shell=bash
# apt_wait: runs apt-get, waiting for another apt-get or dpkg to finish
# instead of failing at once (a fresh cloud machine often runs one at boot,
# e.g. unattended-upgrades). Source this file, then put it in front of the
# command, which stays as written:
#
#   apt_wait apt-get update
#   apt_wait apt-get install -y docker.io
#
# It waits at most APT_LOCK_WAIT seconds (default 600). apt 2.6 (Debian 12)
# waits for dpkg's lock itself when told `-o DPkg::Lock::Timeout=<s>`, but
# not for the package lists' lock that `apt-get update` takes: that one
# fails with "Could not get lock /var/lib/apt/lists/lock", and is retried
# here every APT_LOCK_POLL seconds (default 5). DEBIAN_FRONTEND=noninteractive
# is set.

apt_wait() {
  if [ "${1:-}" != apt-get ]; then
    echo "apt_wait: usage: apt_wait apt-get <arguments>" >&2
    return 2
  fi
  shift
  local wait="${APT_LOCK_WAIT:-600}" start=$SECONDS err rc told=""
  err="$(mktemp)"
  while :; do
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$wait" "$@" 2>"$err" || rc=$?
    if [ "$rc" -ne 0 ] && grep -q "^E: Could not get lock" "$err" && [ $((SECONDS - start)) -lt "$wait" ]; then
      if [ -z "$told" ]; then
        echo "apt_wait: $(grep -m1 "^E: Could not get lock" "$err" | sed 's/^E: //'); waiting up to ${wait}s" >&2
        told=1
      fi
      sleep "${APT_LOCK_POLL:-5}"
      continue
    fi
    cat "$err" >&2
    rm -f "$err"
    return "$rc"
  done
}
