# Shared helpers for the benchmark scripts: build once, start the sandbox, clean up.
set -euo pipefail
trap 'echo "bench: failed at ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND" >&2' ERR
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/.ci/setup"
if [ ! -x /usr/bin/time ]; then
  sudo=""; [ "$(id -u)" != 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq time >/dev/null
fi
echo "building detour (release)…" >&2
swift build -c release --static-swift-stdlib --product detour --package-path "$root" >/dev/null
detour="$(swift build -c release --static-swift-stdlib --show-bin-path --package-path "$root")/detour"
work="$(mktemp -d /tmp/detour-bench.XXXXXX)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Starts `detour sandbox` on a free port and sets $sandbox to its base URL.
start_sandbox() {
  "$detour" sandbox --port 0 > "$work/sandbox.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    sandbox=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/sandbox.log" 2>/dev/null || true)
    [ -n "$sandbox" ] && return 0
    sleep 0.05
  done
  echo "sandbox did not start" >&2; exit 1
}

# Median of numbers on stdin.
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
