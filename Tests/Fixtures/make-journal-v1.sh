#!/usr/bin/env bash
# Writes a state folder with every kind of journal record, using the given detour binary.
set -euo pipefail
detour="$1"; out="$2"
work="$(mktemp -d /tmp/detour-fixture.XXXXXX)"
"$detour" sandbox --port 0 > "$work/sandbox.log" 2>&1 &
spid=$!
trap 'kill $spid; rm -rf "$work"' EXIT
for _ in $(seq 100); do sb=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/sandbox.log" || true); [ -n "$sb" ] && break; sleep 0.05; done
ws="$work/ws"; mkdir -p "$ws/channels" "$ws/playbooks"
cat > "$ws/detour.json5" <<J
{ timezone: "Asia/Tokyo", calendar: { sales: [{ name: "ブラックフライデー", from: "2026-11-20T00:00", to: "2026-12-01T00:00", multiplier: 2 }] } }
J
for c in rakuten yahoo; do cat > "$ws/channels/$c.json5" <<J
{ name: "$c店", kind: "mall", url: "$sb/store/$c/", probes: [{ name: "item", url: "$sb/store/$c/item" }],
  schedule: { every: "1m", confirmEvery: "1m", failAfter: 2, recoverAfter: 1 }, recovery: { settle: "3m" },
  revenue: { perHour: 60000 }, alternates: ["own"] }
J
done
cat > "$ws/channels/own.json5" <<J
{ name: "公式ショップ", kind: "own-site", url: "$sb/store/own/", probes: [{ name: "top", url: "$sb/store/own/" }],
  schedule: { every: "1m", confirmEvery: "1m", failAfter: 2, recoverAfter: 1 }, recovery: { settle: "0s" } }
J
cat > "$ws/playbooks/mall-down.json5" <<J
{ on: { event: "down", channels: ["rakuten", "yahoo"] },
  steps: [
    { id: "promo", do: "http", holds: "promo:own", request: { method: "POST", url: "$sb/promo", json: { on: true } },
      undo: { request: { method: "POST", url: "$sb/promo", json: { on: false } } } },
    { id: "note", do: "log", message: "{{channel.name}} is down" },
    { id: "page", do: "http", retry: { attempts: 1 }, request: { method: "POST", url: "$sb/page-{{channel.id}}", json: { down: "{{channel.id}}" } } },
  ],
  recovery: [{ id: "back", do: "log", message: "{{channel.name}} is back" }] }
J
cat > "$ws/playbooks/newsletter.json5" <<J
{ on: { event: "down", channels: ["rakuten"] }, approval: { required: true },
  steps: [{ id: "mail", do: "http", request: { method: "POST", url: "$sb/mail", json: { to: "all" } } }] }
J
cat > "$ws/playbooks/broken-config.json5" <<J
{ on: { event: "workspace-invalid" }, steps: [{ id: "tell", do: "log", message: "workspace has errors" }] }
J
d() { local t="$1"; shift; DETOUR_NOW="2026-11-25T$t+09:00" "$detour" "$@" -w "$ws" >> "$work/out.txt" 2>&1 || echo "exit $? for $*" >> "$work/out.txt"; }
mode() { curl -s -X POST "$sb/_sandbox/store/$1/$2" >/dev/null; }
d 01:00:00 tick
mode rakuten down
mode yahoo down
curl -s -X POST "$sb/_sandbox/respond?path=/page-rakuten&status=400" >/dev/null
d 01:01:00 tick
d 01:02:00 tick
id=$(DETOUR_NOW=2026-11-25T01:02:30+09:00 "$detour" status --json -w "$ws" | grep -o '"rakuten-[0-9-]*"' | head -1 | tr -d '"')
d 01:02:40 retry "$id"
d 01:02:50 approve "$id"
mode rakuten healthy
mode yahoo healthy
d 01:03:00 tick
mode rakuten down
d 01:04:00 tick
d 01:05:00 tick
mode rakuten healthy
d 01:06:00 tick
d 01:10:00 tick
d 01:13:00 tick
d 01:20:00 failover yahoo --reason "決済エラー" --by sato
d 01:25:00 restore yahoo --by sato
d 01:30:00 tick
d 01:40:00 hold own --until 2h --reason "定期メンテナンス" --by kato
d 01:45:00 release own --by kato
echo "{ broken" > "$ws/channels/yahoo.json5.tmp"; cp "$ws/channels/yahoo.json5" "$work/yahoo"; echo "{ name: " > "$ws/channels/yahoo.json5"
d 01:50:00 tick
cp "$work/yahoo" "$ws/channels/yahoo.json5"; rm "$ws/channels/yahoo.json5.tmp"
d 01:55:00 tick
kill $spid; wait $spid 2>/dev/null || true
d 02:00:00 tick
mkdir -p "$out/.detour"; cp "$ws/.detour/journal.jsonl" "$ws/.detour/state.json" "$out/.detour/"
cp -r "$ws/detour.json5" "$ws/channels" "$ws/playbooks" "$out/"
trap 'rm -rf "$work"' EXIT
cat "$work/out.txt" >&2
"$detour" log -w "$ws"
