#!/usr/bin/env bash
# Benchmark object storage: one synthetic rootDir audited from local disk and from a local S3
# server (s3rver, the tests' server), in one run, rounds interleaved.
#
#   bench/s3.sh [synth options]        e.g. bench/s3.sh --images 10000
#
# 1. builds sigaudit and the synth generator (--release) and generates the rootDir as
#    bench/run.sh does (reused per option set under $BENCH_DIR);
# 2. starts s3rver on 127.0.0.1 on a port the system picks, its bucket `zot` holding every file
#    of the rootDir but the trust material at zot's keys (`<repository>/index.json`,
#    `.../blobs/sha256/<hex>`; no rootdirectory). The objects are put in place in s3rver's own
#    storage folder (`<key>._S3rver_object`, hard links, with the `.md5` files s3rver would
#    otherwise compute on the first listing): uploading 70,000 objects through the API would
#    only measure s3rver's writes;
# 3. REPEAT rounds (default 3) of: `scan ROOT` (local) then `scan --zot-config` (the bucket, with
#    the rootDir as the local rootDirectory for the trust material), each timed by GNU time:
#    wall time, peak RSS, and for the bucket the HTTP requests and bytes sigaudit logged; then
#    the medians, requests per image and the S3/local ratio per round.
#
# Environment: BENCH_DIR, CARGO_TARGET_DIR, REPEAT as in bench/run.sh; S3RVER (default
# target/s3rver/node_modules/.bin/s3rver, which .ci/run installs); CONCURRENCY
# (--object-store-concurrency, default sigaudit's); FORMATS (default json,csv).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}/sigaudit-bench}
s3rver=${S3RVER:-$here/target/s3rver/node_modules/.bin/s3rver}
rounds=${REPEAT:-3}
formats=${FORMATS:-json,csv}

cd "$here"
[[ -x $s3rver ]] || { echo "bench: s3rver not found at $s3rver (bash .ci/run installs it)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench: GNU time (/usr/bin/time) is needed" >&2; exit 2; }
cargo build --quiet --release --bin sigaudit --example synth

key=$(printf '%s_' "${@:-defaults}" | tr -c 'A-Za-z0-9._-' '_')
root=$bench_dir/root-${key%_}
mkdir -p "$bench_dir"
if [[ -f $root.extra/synth.json ]]; then
    echo "bench: reusing $root" >&2
else
    "$target/release/examples/synth" "$root" --force "$@"
fi
stats=$(sed 's/.*"stats"://' "$root.extra/synth.json")
images=$(grep -o '"images":[0-9]*' <<<"$stats" | sed -n 1p | cut -d: -f2)

# The bucket, in s3rver's storage folder.
data=$bench_dir/s3rver-${key%_}
if [[ ! -f $data/.complete ]]; then
    rm -rf "$data"
    mkdir -p "$data/zot"
    (cd "$root" && find . -type f -not -path './_*' -printf '%P\n') | while IFS= read -r k; do
        d=$data/zot/$(dirname "$k")
        [[ -d $d ]] || mkdir -p "$d"
        ln "$root/$k" "$d/$(basename "$k")._S3rver_object"
    done
    find "$data/zot" -name '*._S3rver_object' -print0 |
        xargs -0 -n 500 md5sum | while read -r sum file; do printf '%s' "$sum" >"$file.md5"; done
    touch "$data/.complete"
fi
objects=$(find "$data/zot" -name '*._S3rver_object' | wc -l)

log=$bench_dir/s3rver.log
# s3rver's continuation tokens use DES: Node 17+ offers it only with OpenSSL's legacy provider
# (without it every listing past 1,000 keys fails).
NODE_OPTIONS=--openssl-legacy-provider "$s3rver" -d "$data" -a 127.0.0.1 -p 0 --no-vhost-buckets --silent >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
    port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$log" | sed -n 1p | cut -d: -f2 || true)
    [[ -n $port ]] && break
    sleep 0.1
done
[[ -n $port ]] || { echo "bench: s3rver did not start (log: $log)" >&2; exit 1; }
config=$bench_dir/zot-config-s3.json
cat >"$config" <<EOF
{"storage": {"rootDirectory": "$root", "storageDriver": {"name": "s3", "bucket": "zot",
 "region": "us-east-1", "regionendpoint": "http://127.0.0.1:$port", "forcepathstyle": true,
 "secure": false}}}
EOF
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
conc=()
[[ -n ${CONCURRENCY:-} ]] && conc=(--object-store-concurrency "$CONCURRENCY")

echo "bench: $root: $images images, $objects objects in the bucket; s3rver on 127.0.0.1:$port; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# run NAME ARGS...: wall seconds, peak RSS KiB and the last request count of its log.
run() {
    local name=$1
    shift
    rm -rf "$bench_dir/out-$name"
    RUST_LOG=sigaudit=info NO_COLOR=1 /usr/bin/time -v -o "$bench_dir/time-$name.txt" \
        "$target/release/sigaudit" scan "$@" --no-config --out "$bench_dir/out-$name" \
        --format "$formats" --as-of 2026-11-23T00:00:00Z 2>"$bench_dir/scan-$name.log" || true
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$bench_dir/time-$name.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$bench_dir/time-$name.txt")
    requests=$(grep -o 'requests=[0-9]*' "$bench_dir/scan-$name.log" | tail -1 | cut -d= -f2 || true)
    bytes=$(grep -o 'bytes=[0-9]*' "$bench_dir/scan-$name.log" | tail -1 | cut -d= -f2 || true)
}
lw=() sw=() lr=() sr=() ratio=()
for ((round = 1; round <= rounds; round++)); do
    run local "$root"
    lw+=("$wall") lr+=("$rss")
    run s3 --zot-config "$config" "${conc[@]}"
    sw+=("$wall") sr+=("$rss")
    ratio+=("$(awk -v s="$wall" -v l="${lw[-1]}" 'BEGIN { printf "%.2f", s / l }')")
    printf 'round %d: local %.2f s %.0f MiB; s3 %.2f s %.0f MiB, %d requests (%.2f per image), %.1f MiB received; s3/local %s\n' \
        "$round" "${lw[-1]}" "$(awk -v r="${lr[-1]}" 'BEGIN { print r / 1024 }')" "$wall" \
        "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "${requests:-0}" \
        "$(awk -v q="${requests:-0}" -v i="$images" 'BEGIN { print q / i }')" \
        "$(awk -v b="${bytes:-0}" 'BEGIN { print b / 1048576 }')" "${ratio[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf 'medians of %d rounds: local %.2f s, %.0f MiB; s3 %.2f s, %.0f MiB; s3/local %.2f\n' "$rounds" \
    "$(median "${lw[@]}")" "$(awk -v r="$(median "${lr[@]}")" 'BEGIN { print r / 1024 }')" \
    "$(median "${sw[@]}")" "$(awk -v r="$(median "${sr[@]}")" 'BEGIN { print r / 1024 }')" "$(median "${ratio[@]}")"
if ! cmp -s <(jq -S 'del(.stores, .zotConfig, .generatedAt)' "$bench_dir/out-local/report.json" 2>/dev/null) \
    <(jq -S 'del(.stores, .zotConfig, .generatedAt)' "$bench_dir/out-s3/report.json" 2>/dev/null); then
    echo "bench: the bucket's report.json differs from the folder's (beyond the store description)" >&2
    exit 1
fi
echo "reports equal but for the store description; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
