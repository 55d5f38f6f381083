#!/usr/bin/env python3
"""etcd load of a cluster: 100 channels probed by 3 nodes every 20 s, over a simulated stretch of a day.

Writes what the nodes write, as fast as etcd takes it: each round every node overwrites its
verdict per channel under its lease; keep-alives and leader checks are counted; journal records
(a few per change) are added at a rate of 40 outages a day. Prints writes per second at the real
schedule, and the database size after the stretch, before and after compaction + defragmentation,
extrapolated to a day and a year.
Usage: etcd-load.py CLIENT_URL [FRACTION_OF_A_DAY]
"""
import base64, http.client, json, sys, time, urllib.parse

url = urllib.parse.urlparse(sys.argv[1])
fraction = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
conn = http.client.HTTPConnection(url.hostname, url.port)

def call(path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    answer = conn.getresponse().read()
    return json.loads(answer)

b64 = lambda text: base64.b64encode(text.encode()).decode()
status = lambda: int(call("/v3/maintenance/status", {})["dbSize"])

channels, nodes, every = 100, 3, 20
lease_ttl = 10
rounds_per_day = 86400 // every
rounds = int(rounds_per_day * fraction)
leases = [call("/v3/lease/grant", {"TTL": "3600"})["ID"] for _ in range(nodes)]
observation = json.dumps({"node": "tokyo-a", "channel": "channel-000", "at": "2026-12-01T10:00:00.000Z", "passed": True, "transport": False})
record = json.dumps({"ts": "2026-12-01T10:00:00.000Z", "type": "step.finished", "incident": "rakuten-20261201-100000", "step": "mall-down/line",
                     "phase": "failover", "attempt": 1, "outcome": "succeeded", "status": 200, "durationMs": 120, "note": "x" * 200})
journal_per_day = 40 * 30
start_size = status()
started = time.time()
writes = 0
seq = 0
for round_index in range(rounds):
    for node in range(nodes):
        for channel in range(channels):
            call("/v3/kv/put", {"key": b64(f"/detour/bench/obs/channel-{channel:03}/node-{node}"), "value": b64(observation), "lease": leases[node]})
            writes += 1
    for _ in range(int(journal_per_day * (round_index + 1) / rounds_per_day) - int(journal_per_day * round_index / rounds_per_day)):
        seq += 1
        call("/v3/kv/put", {"key": b64(f"/detour/bench/log/{seq:012}"), "value": b64(record)})
        writes += 1
elapsed = time.time() - started
grown = status() - start_size
revision = int(call("/v3/kv/range", {"key": b64("/detour/bench/leader")})["header"]["revision"])
call("/v3/kv/compaction", {"revision": str(revision), "physical": True})
call("/v3/maintenance/defragment", {})
compacted = status()
# Keep-alives (every third of the lease) and each node's look at etcd (two a second: a read-only
# transaction and a few ranges) are not stored as revisions.
per_second = (nodes * channels / every) + journal_per_day / 86400
print(f"simulated {fraction:.0%} of a day: {rounds} rounds, {writes} writes in {elapsed:.1f} s ({writes / elapsed:.0f} writes/s taken)")
print(f"writes at the real schedule: {per_second:.2f}/s stored, plus {nodes / (lease_ttl / 3):.1f}/s keep-alives and {nodes * 2:.0f}/s looks (reads)")
print(f"db growth without compaction: {grown / 1e6:.1f} MB for the stretch -> {grown / fraction / 1e6:.0f} MB a day -> {grown / fraction * 365 / 1e9:.1f} GB a year")
print(f"db after compaction + defrag: {compacted / 1e6:.2f} MB (live keys: {channels * nodes} verdicts, {seq} journal records)")
log_year = len(record) * journal_per_day * 365
print(f"a year with hourly auto-compaction: verdict history of one hour ~{grown / (fraction * 24) / 1e6:.0f} MB + journal {log_year / 1e6:.0f} MB; quota 2048 MB")
