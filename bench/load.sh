#!/bin/sh
# load.sh - mmlabd under load: wrk against two GET routes, then op batches
# through POST .../ops with recording on, next to the recorder's own ceiling
# measured in the same run. Prints figures and ratios; never fails on time.
#
#   MMLABD=daemon/mmlabd BENCH_RECORDER=bench/bench_recorder sh bench/load.sh
#
# With MMLABD_BASELINE (another mmlabd, e.g. the build before a change) its
# health and zones figures are measured too, in the same run; with nginx
# installed, nginx answering "return 200" is measured as the ceiling of an
# HTTP server on this machine (guide: health >= 0.8 of it).
#
# The host's other work moves every rate from one ten seconds to the next, so
# each ratio is of two figures measured back to back, in LOAD_ROUNDS rounds
# (3): health then nginx, ops then the recorder. Each round's ratio is
# printed, and their median.
#
# Targets (reported, not asserted): zones >= 20000 req/s with p99 < 20 ms;
# batched ops >= 0.8 of the recorder's own ceiling (bench_recorder with the
# same events per op), in events/s. The ratio to bench_recorder's raw loop of
# INSERTs of the same rows is printed too.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
mmlabd=${MMLABD:-daemon/mmlabd}
recorder=${BENCH_RECORDER:-bench/bench_recorder}
secs=${LOAD_SECONDS:-10}
rounds=${LOAD_ROUNDS:-3}

for tool in wrk node; do
	command -v $tool >/dev/null || { echo "load.sh: $tool is missing (Debian package $tool)" >&2; exit 1; }
done
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$mmlabd" --listen 127.0.0.1:0 --db "$tmp/mmlab.db" --log-level info 2>"$tmp/mmlabd.log" &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/mmlabd.log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/mmlabd.log" >&2; exit 1; }
base=http://127.0.0.1:$port

# wrk_get NAME PATH: print one line of figures.
wrk_get() {
	wrk -c32 -t2 -d"${secs}s" --latency -s "$here/latency.lua" "$base$2" >"$tmp/wrk.out" 2>&1 ||
		{ cat "$tmp/wrk.out" >&2; return 1; }
	sed -n "s|^RESULT |$1: |p" "$tmp/wrk.out"
}

echo "load: mmlabd on $base, wrk -c32 -t2 for $secs s per route"
wrk_get "GET /api/v1/sessions/1/zones" /api/v1/sessions/1/zones | tee "$tmp/zones"

if [ -n "${MMLABD_BASELINE:-}" ]; then
	"$MMLABD_BASELINE" --listen 127.0.0.1:0 --db "$tmp/other.db" 2>"$tmp/base.log" &
	other_pid=$!
	for _ in $(seq 100); do
		p=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/base.log")
		[ -n "$p" ] && break
		sleep 0.1
	done
	if [ -n "$p" ]; then
		saved=$base
		base=http://127.0.0.1:$p
		wrk_get "baseline GET /api/v1/sessions/1/zones" /api/v1/sessions/1/zones | tee "$tmp/base_zones"
		wrk_get "baseline GET /api/v1/health" /api/v1/health | tee "$tmp/base_health"
		base=$saved
	else
		echo "baseline: $MMLABD_BASELINE did not start"
	fi
	kill "$other_pid" 2>/dev/null && wait "$other_pid" 2>/dev/null || true
	rm -f "$tmp/other.db"*
fi
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
	nginx=$(command -v nginx || echo /usr/sbin/nginx)
	nport=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
	mkdir -p "$tmp/nginx"
	cat >"$tmp/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx; fastcgi_temp_path $tmp/nginx;
	uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
	server { listen 127.0.0.1:$nport; location / { default_type application/json; return 200 '{"status":"ok"}'; } }
}
NGINX
	"$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
	nginx_pid=$!
	sleep 0.5
fi
# Health, and nginx's "return 200" right after it, in rounds.
rps() { sed -n 's/.* rps=\([0-9]*\).*/\1/p' "$1" 2>/dev/null; }
: >"$tmp/health_ratios"
for r in $(seq "$rounds"); do
	wrk_get "GET /api/v1/health (round $r)" /api/v1/health | tee "$tmp/health"
	if [ -n "${nginx_pid:-}" ]; then
		saved=$base
		base=http://127.0.0.1:$nport
		wrk_get "nginx return 200 (round $r)" / | tee "$tmp/nginx_rps"
		base=$saved
		echo "$(rps "$tmp/health") $(rps "$tmp/nginx_rps")" >>"$tmp/health_ratios"
	fi
done
[ -n "${nginx_pid:-}" ] && { kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true; }
awk -v h="$(rps "$tmp/health")" -v z="$(rps "$tmp/zones")" -v bh="$(rps "$tmp/base_health")" \
    -v bz="$(rps "$tmp/base_zones")" 'BEGIN {
	if (bh) printf "ratio: health this build / baseline = %.2f, zones = %.2f\n", h / bh, z / bz }'
# median RATIOS-FILE TEXT: each line "a b" a round's a / b, and their median.
median() {
	awk -v what="$2" '{ r[NR] = $1 / $2; line = line sprintf("%s%.2f", NR > 1 ? ", " : "", r[NR]) }
	END {
		if (!NR) exit
		for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
		m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
		printf "ratio: %s = %.2f, the median of %d rounds (%s)\n", what, m, NR, line }' "$1"
}
median "$tmp/health_ratios" "health / nginx return 200 (guide >= 0.80)"

# Op batches of 10000: allocate order-0 pages, then free what was allocated,
# for $secs seconds; events counted from first_seq/last_seq. Two such loops
# share the session, so that one batch is applied while the client reads the
# other's results (the recorder's figure below has its producer and writer
# running side by side too); batches of one session still run one at a time.
# node:http on a kept-alive connection each: fetch() spent ~6 us of client
# CPU an event reading the replies, more than the recorder's writer.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
: >"$tmp/ops_ratios"; : >"$tmp/raw_ratios"
# Round 0 is a warm-up of 2 s, not counted: the daemon's first batches fault
# in its heap, the new machine's pages and SQLite's cache.
for r in $(seq 0 "$rounds"); do
[ "$r" = 0 ] && round_secs=2 || round_secs=$secs
ticks0=$(cpu_ticks "$pid")
node --input-type=module - "$base" "$round_secs" >"$tmp/ops" <<'JS'
import http from 'node:http';
const [base, secs] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
const { hostname, port } = new URL(base);
const post = (path, body) => new Promise((resolve, reject) => {
  const req = http.request({ host: hostname, port, path, method: 'POST', agent,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      if (res.statusCode >= 300) reject(new Error(`${path}: ${res.statusCode} ${text}`));
      else resolve(JSON.parse(text));
    });
  });
  req.on('error', reject);
  req.end(body);
});
const { id } = await post('/api/v1/sessions', JSON.stringify({ name: 'load', machine: { mem_mib: 4096 } }));
const N = 10000;
const alloc = JSON.stringify(Array.from({ length: N }, () => ({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0 })));
let events = 0, ops = 0;
const t0 = performance.now(), cpu0 = process.cpuUsage();
const loop = async () => {
  while (performance.now() - t0 < secs * 1000) {
    const r = await post(`/api/v1/sessions/${id}/ops`, alloc);
    const frees = r.results.filter((x) => x.ok).map((x) => `{"op":"free_pages","pfn":${x.pfn},"order":0}`);
    events += r.last_seq - r.first_seq + 1; ops += N;
    if (frees.length) {
      const f = await post(`/api/v1/sessions/${id}/ops`, `[${frees.join(',')}]`);
      events += f.last_seq - f.first_seq + 1; ops += frees.length;
    }
  }
};
await Promise.all([loop(), loop()]);
const secsTaken = (performance.now() - t0) / 1000, cpu = process.cpuUsage(cpu0);
agent.destroy();
console.log(`${(events / secsTaken).toFixed(0)} ${(ops / secsTaken).toFixed(0)} ${(events / ops).toFixed(3)} ${events} ${secsTaken.toFixed(2)} ${((cpu.user + cpu.system) / events).toFixed(2)}`);
JS
ticks1=$(cpu_ticks "$pid")
read ev_rate op_rate per_op nr_events taken client_us <"$tmp/ops"
if [ "$r" = 0 ]; then
	echo "warm-up: POST /api/v1/sessions/{id}/ops: $ev_rate events/s for $taken s (not counted)"
	continue
fi
echo "round $r: POST /api/v1/sessions/{id}/ops (batches of 10000, recording on): $ev_rate events/s, $op_rate ops/s ($nr_events events in $taken s, $per_op events per op)"
# CPU time does not depend on what else the host runs, unlike the rates.
awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v n="$nr_events" -v c="$client_us" 'BEGIN {
	printf "  CPU per event: mmlabd %.2f us (all its threads), the client %s us\n", t / hz * 1e6 / n, c }'
# The recorder alone, right after, with as many events and the same events per op (the daemon idle).
"$recorder" "$nr_events" "$per_op" | sed "s/^/  round $r: /" | tee "$tmp/recorder"
ceiling=$(sed -n 's/.*; recorder: \([0-9]*\) events\/s.*/\1/p' "$tmp/recorder")
raw=$(sed -n 's/.*raw loop of the same rows (events and op log) \([0-9]*\) events\/s.*/\1/p' "$tmp/recorder")
echo "$ev_rate $ceiling" >>"$tmp/ops_ratios"
echo "$ev_rate $raw" >>"$tmp/raw_ratios"
done
kill "$pid" && wait "$pid" 2>/dev/null || true
pid=
median "$tmp/ops_ratios" "ops events/s / recorder alone (target >= 0.80: ops limited only by the recorder)"
median "$tmp/raw_ratios" "ops events/s / raw INSERT loop of the same rows"
awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
END { printf "zones: %s req/s (target >= 20000), p99 %s ms (target < 20)\n", v["rps"], v["p99_ms"] }' "$tmp/zones"
