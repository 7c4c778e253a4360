#!/usr/bin/env bash
# padlock serve vs nginx (Debian's package), same certificate, same TLS 1.3 settings, same static
# page, same load generator (wrk), on loopback only. Not a test: a benchmark for BENCHMARKS.md.
#   scripts/bench-serve.sh [SECONDS]      (default 10 s per measurement; 13 measurements)
#   ROUNDS=N: keep-alive measured N times (default 3), alternating servers; medians reported.
# Needs: nginx (apt-get install -y nginx-light), wrk, h2load (nghttp2-client), openssl.
# Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
threads=2          # padlock serve --threads, nginx worker_processes, wrk -t
conns=64           # wrk -c
page_bytes=612     # the size of nginx's stock index.html, served by both
rounds=${ROUNDS:-3}

for tool in nginx wrk h2load openssl; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "missing: $tool" >&2; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

# PADLOCK=path/to/padlock measures that binary instead of building one.
padlock=${PADLOCK:-}
if [ -z "$padlock" ]; then
  cargo build --release -p padlock-cli >&2
  padlock=${CARGO_TARGET_DIR:-target}/release/padlock
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# A free loopback port: bind port 0 and read it back.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2; exit 1
}

# ECDSA P-256 leaf from a throwaway CA (padlock ca writes P-256 keys).
"$padlock" ca --ca-dir "$tmp/ca" init >&2
"$padlock" ca --ca-dir "$tmp/ca" issue localhost 127.0.0.1 --out "$tmp" >&2
cert=$tmp/localhost.pem
key=$tmp/localhost-key.pem

# nginx's workers drop root for nobody: they must be able to read the page.
chmod 755 "$tmp"
mkdir -p "$tmp/www"
head -c "$page_bytes" /dev/zero | tr '\0' 'x' > "$tmp/www/index.html"

# Compared with nginx's `access_log off`: padlock's access log off too. A second padlock
# server logs to a file, for the with-log figure and to count wrk's resumptions.
p_port=$(free_port)
"$padlock" serve --cert "$cert" --key "$key" --listen "127.0.0.1:$p_port" --root "$tmp/www" \
  --threads "$threads" --access-log off 2>"$tmp/padlock.err" &
pids+=($!)
p_pid=$!
p_port2=$(free_port)
"$padlock" serve --cert "$cert" --key "$key" --listen "127.0.0.1:$p_port2" --root "$tmp/www" \
  --threads "$threads" --access-log "$tmp/padlock.log" 2>"$tmp/padlock2.err" &
pids+=($!)
p_pid2=$!

n_port=$(free_port)
n_port2=$(free_port)
mkdir -p "$tmp/nginx"
cat > "$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $threads;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx;
  proxy_temp_path $tmp/nginx;
  fastcgi_temp_path $tmp/nginx;
  uwsgi_temp_path $tmp/nginx;
  scgi_temp_path $tmp/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$n_port ssl http2;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve X25519;
    # padlock serve picks TLS_AES_128_GCM_SHA256; OpenSSL would follow the client's
    # preference (AES-256 first).
    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
    root $tmp/www;
  }
  # The same site with a log of resumptions, only to check what wrk's reconnections do.
  log_format resumed "\$ssl_session_reused";
  server {
    listen 127.0.0.1:$n_port2 ssl;
    access_log $tmp/nginx/resumed.log resumed;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve X25519;
    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
    root $tmp/www;
  }
}
EOF
"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
pids+=($!)
n_pid=$!
wait_port "$p_port"
wait_port "$p_port2"
wait_port "$n_port"

# What a default OpenSSL client (wrk links the same libssl) negotiates with each server.
for s in "padlock:$p_port" "nginx:$n_port"; do
  name=${s%%:*}; port=${s#*:}
  neg=$(openssl s_client -connect "127.0.0.1:$port" -servername localhost </dev/null 2>/dev/null |
    grep -E '^(New, |Server Temp Key|Negotiated TLS1.3 group)' | tr '\n' ' ')
  bytes=$(curl -sk "https://127.0.0.1:$port/" | wc -c)
  echo "$name negotiates: $neg; page: $bytes bytes" >&2
done

# CPU time (user + system, clock ticks) used so far by process $1 (all its threads) and its
# child processes (nginx's workers).
cpu_ticks() {
  local p t total=0
  for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}

# `rate PID wrk-args...`: wrk's "Requests/sec:" and the server's (PID's) CPU microseconds per
# request meanwhile, which other load on the machine disturbs much less than the rate.
rate() {
  local pid=$1 out before after
  shift
  before=$(cpu_ticks "$pid")
  out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" "$@")
  after=$(cpu_ticks "$pid")
  echo "$out" >&2
  echo "$out" | awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    / requests in / { n = $1 }
    /^Requests\/sec:/ { r = $2 }
    END { printf "%.0f %.1f", r, ticks / hz * 1e6 / n }'
}

# wrk keeps the session across reconnections (SSL_clear), so "Connection: close" measures
# resumed (PSK + X25519) handshakes. Count how many are resumed, one second each.
wrk -t1 -c4 -d1s -H 'Connection: close' "https://127.0.0.1:$p_port2/" >/dev/null
wrk -t1 -c4 -d1s -H 'Connection: close' "https://127.0.0.1:$n_port2/" >/dev/null
sleep 0.5 # padlock writes its request lines within 0.1 s
echo "wrk reconnections resumed: padlock $(grep -c ' resumed' "$tmp/padlock.log") of $(grep -c ' 200 ' "$tmp/padlock.log");" \
  "nginx $(grep -c r "$tmp/nginx/resumed.log") of $(wc -l < "$tmp/nginx/resumed.log")" >&2

# Full handshakes, no resumption: openssl s_time -new, one process per core, each a
# sequence of connection, handshake, GET /, close.
full() {
  local i start end
  start=$(date +%s.%N)
  for i in $(seq 1 "$threads"); do
    openssl s_time -connect "127.0.0.1:$1" -new -www / -time "$secs" >"$tmp/stime.$i" 2>&1 &
  done
  wait # the s_time processes: this runs in its own subshell
  end=$(date +%s.%N)
  grep -h 'real seconds' "$tmp"/stime.* >&2
  # s_time truncates its real seconds to an integer: divide by the wall time measured here.
  awk -v t="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
    '/connections in .* real seconds/ { n += $1 } END { printf "%.0f", n / t }' "$tmp"/stime.*
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# Keep-alive: the servers in turn, ROUNDS times, so that a change in the machine's other load
# falls on all of them; medians.
# `median DIGITS VALUES...`
median() {
  python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[2:])):.{sys.argv[1]}f}")' "$@"
}
ka=()
for _ in $(seq 1 "$rounds"); do
  ka+=("p $(rate "$p_pid" "https://127.0.0.1:$p_port/")")
  ka+=("n $(rate "$n_pid" "https://127.0.0.1:$n_port/")")
  ka+=("l $(rate "$p_pid2" "https://127.0.0.1:$p_port2/")")
done
printf '%s\n' "${ka[@]}" >&2
col() { printf '%s\n' "${ka[@]}" | awk -v w="$1" -v c="$2" '$1 == w { print $c }'; }
p_ka=$(median 0 $(col p 2)); p_ka_cpu=$(median 1 $(col p 3))
n_ka=$(median 0 $(col n 2)); n_ka_cpu=$(median 1 $(col n 3))
p_ka_log=$(median 0 $(col l 2)); p_ka_log_cpu=$(median 1 $(col l 3))
echo "keep-alive req/s: padlock $(col p 2 | tr '\n' ' ')nginx $(col n 2 | tr '\n' ' ')padlock+log $(col l 2 | tr '\n' ' ')" >&2
read -r p_hs p_hs_cpu <<<"$(rate "$p_pid" -H 'Connection: close' "https://127.0.0.1:$p_port/")"
read -r n_hs n_hs_cpu <<<"$(rate "$n_pid" -H 'Connection: close' "https://127.0.0.1:$n_port/")"
p_full=$(full "$p_port")
n_full=$(full "$n_port")
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# HTTP/2 keep-alive (ALPN h2, which wrk does not offer): h2load with the same connections,
# 10 streams in flight on each, the servers in turn; requests/s and server CPU per request.
rate_h2() {
  local pid=$1 out before after
  before=$(cpu_ticks "$pid")
  out=$(h2load -t"$threads" -c"$conns" -m10 -D"$secs" "$2")
  after=$(cpu_ticks "$pid")
  echo "$out" | grep -E '^(finished in|requests:|Application protocol:)' >&2
  echo "$out" | awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    /^finished in/ { r = $4 }
    /^requests:/ { n = $8 }
    /^Application protocol:/ { proto = $3 }
    END { if (proto != "h2") { print "not h2: " proto > "/dev/stderr"; exit 1 }
          printf "%.0f %.1f", r, ticks / hz * 1e6 / n }'
}
h2=()
for _ in $(seq 1 "$rounds"); do
  h2+=("p $(rate_h2 "$p_pid" "https://127.0.0.1:$p_port/")")
  h2+=("n $(rate_h2 "$n_pid" "https://127.0.0.1:$n_port/")")
done
printf '%s\n' "${h2[@]}" >&2
colh2() { printf '%s\n' "${h2[@]}" | awk -v w="$1" -v c="$2" '$1 == w { print $c }'; }
p_h2=$(median 0 $(colh2 p 2)); p_h2_cpu=$(median 1 $(colh2 p 3))
n_h2=$(median 0 $(colh2 n 2)); n_h2_cpu=$(median 1 $(colh2 n 3))
echo "load after h2: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "| measurement (wrk -t$threads -c$conns -d${secs}s, ${page_bytes}-byte page; keep-alive: median of $rounds) | padlock serve | nginx | padlock / nginx |"
echo "|---|---:|---:|---:|"
echo "| requests/s, keep-alive | $p_ka | $n_ka | $(ratio "$p_ka" "$n_ka") |"
echo "| server CPU µs per request, keep-alive (lower is better) | $p_ka_cpu | $n_ka_cpu | $(ratio "$p_ka_cpu" "$n_ka_cpu") |"
echo "| requests/s, keep-alive, padlock's access log on (a file) | $p_ka_log | $n_ka | $(ratio "$p_ka_log" "$n_ka") |"
echo "| server CPU µs per request, keep-alive, padlock's log on | $p_ka_log_cpu | $n_ka_cpu | $(ratio "$p_ka_log_cpu" "$n_ka_cpu") |"
echo "| resumed handshakes/s (wrk, Connection: close, one request each) | $p_hs | $n_hs | $(ratio "$p_hs" "$n_hs") |"
echo "| server CPU µs per resumed handshake + request | $p_hs_cpu | $n_hs_cpu | $(ratio "$p_hs_cpu" "$n_hs_cpu") |"
echo "| full handshakes/s (openssl s_time -new, $threads processes, one GET each) | $p_full | $n_full | $(ratio "$p_full" "$n_full") |"
echo "| requests/s, HTTP/2 keep-alive (h2load -t$threads -c$conns -m10, median of $rounds) | $p_h2 | $n_h2 | $(ratio "$p_h2" "$n_h2") |"
echo "| server CPU µs per request, HTTP/2 keep-alive | $p_h2_cpu | $n_h2_cpu | $(ratio "$p_h2_cpu" "$n_h2_cpu") |"
