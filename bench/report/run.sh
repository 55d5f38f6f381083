#!/bin/sh
# Times `detour report` over a year of synthetic journal history (see README.md, section "report").
# usage: bench/report/run.sh [EVENTS] [RUNS]
set -eu
cd "$(dirname "$0")/../.."
events=${1:-100000}
runs=${2:-5}
work=${TMPDIR:-/tmp}/detour-bench-report
mkdir -p "$work"
swift build -c release --static-swift-stdlib --product detour >/dev/null
swiftc -O bench/report/generate.swift -o "$work/generate"
"$work/generate" "$work/ws" "$events"
detour="$(swift build -c release --static-swift-stdlib --show-bin-path)/detour"
cd "$work/ws"
"$detour" check >/dev/null
echo "journal: $(cat .detour/journal/*.jsonl | wc -l) lines in $(ls .detour/journal | wc -l) segments, $(du -sh .detour/journal | cut -f1)"
echo "outages: $("$detour" report --csv | tail -n +2 | wc -l)"
for format in table csv json html; do
  case $format in
    table) args="" ;;
    csv) args="--csv" ;;
    json) args="--json" ;;
    html) args="--html $work/report.html" ;;
  esac
  i=0
  while [ $i -lt "$runs" ]; do
    rm -f .detour/state.json
    /usr/bin/time -f "report $format (full replay, no snapshot): %e s, %M KB max RSS" "$detour" report $args >/dev/null 2>"$work/time.txt" || true
    tail -1 "$work/time.txt"
    i=$((i + 1))
  done
done
