#!/usr/bin/env bash
# Benchmark `sigaudit scan` on a synthetic zot rootDir.
#
#   bench/run.sh [synth options]        e.g. bench/run.sh --images 10000 --notation-es384 1
#
# 1. builds sigaudit and the synth generator (--release);
# 2. generates a rootDir with the given options (see `fixtures/generator/README.md`, "Synthetic
#    rootDirs for benchmarks") into $BENCH_DIR, or reuses the one those options made before
#    (delete $BENCH_DIR after changing the generator);
# 3. runs `sigaudit scan ROOT --out OUT --format json,csv` once and prints wall time, images/s,
#    signatures/s, peak RSS and where the time went (walk and parse, verification, aggregation,
#    rendering, from the scan's debug log);
# 4. measures the crypto floor (examples/floor.rs: the same number and kinds of signature
#    verifications in a tight loop, same library, same number of threads) and prints the scan's
#    wall time as a ratio to it;
# 5. measures the read floor (every file of the rootDir read once with `cat`, as many readers as
#    threads, after a warming pass) and prints the scan's wall time as a ratio to the sum of
#    the two floors.
#
# Environment:
#   BENCH_DIR         where rootDirs and reports go (default ${TMPDIR:-/tmp}/sigaudit-bench)
#   CARGO_TARGET_DIR  cargo's target folder (default <workspace>/target)
#   SCAN_ARGS         extra `sigaudit scan` arguments, e.g. "-j 1"
# Peak RSS comes from GNU time (`apt-get install time`) when /usr/bin/time exists, otherwise
# from polling VmHWM in /proc (coarser).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}/sigaudit-bench}

cd "$here"
# One invocation: built separately (`-p` each), the binary and the two examples each got a
# feature set of their own, so sigaudit was compiled three times over in release mode.
cargo build --quiet --release --bin sigaudit --example synth --example floor

# One rootDir per option set; synth.json is written last, so its presence means "complete".
key=$(printf '%s_' "${@:-defaults}" | tr -c 'A-Za-z0-9._-' '_')
root=$bench_dir/root-${key%_}
out=$bench_dir/out-${key%_}
mkdir -p "$bench_dir"
if [[ -f $root.extra/synth.json ]]; then
    echo "bench: reusing $root" >&2
else
    "$target/release/examples/synth" "$root" --force "$@"
fi
stats=$(sed 's/.*"stats"://' "$root.extra/synth.json") # the counts, not the parameters
field() { grep -o "\"$1\":[0-9]*" <<<"$stats" | sed -n 1p | cut -d: -f2; }
images=$(field images)
signatures=$(($(field cosign) + $(field notationRsa) + $(field notationEs384Jws) + $(field notationEs384Cose)))

rm -rf "$out"
# shellcheck disable=SC2086 # SCAN_ARGS is a list of words
scan=("$target/release/sigaudit" scan "$root" --out "$out" --format json,csv ${SCAN_ARGS:-})
threads=$(grep -o -- '-j *[0-9]*' <<<"${SCAN_ARGS:-}" | grep -o '[0-9]*' || nproc)
log=$bench_dir/scan.log
export RUST_LOG=sigaudit=debug NO_COLOR=1
start=$(date +%s.%N)
status=0
if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -v -o "$bench_dir/time.txt" "${scan[@]}" 2>"$log" || status=$?
    rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$bench_dir/time.txt")
else
    "${scan[@]}" 2>"$log" &
    pid=$! rss_kib=0
    while [[ -r /proc/$pid/status ]]; do
        hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        [[ -n $hwm ]] && rss_kib=$hwm
        sleep 0.05
    done
    wait "$pid" || status=$?
fi
end=$(date +%s.%N)
unset RUST_LOG NO_COLOR
# The elapsed_ms of the first log line whose message is $1 (0 when absent).
phase() { grep -E " $1( |\$)" "$log" | sed -n 1p | grep -o 'elapsed_ms=[0-9]*' | cut -d= -f2 || echo 0; }
floor=$("$target/release/examples/floor" --synth "$root.extra/synth.json" -j "$threads")
floor_s=$(grep -o 'floor_s=[0-9.]*' <<<"$floor" | cut -d= -f2)
# The read floor: every file of the rootDir opened and read once by as many readers as the scan
# has threads (an upper bound of what the scan must read: it leaves image configs and layers
# unread). Opening and reading is kernel CPU time, so it adds to the crypto floor on a machine
# whose cores the crypto already fills.
files=$(find "$root/" -type f | wc -l)
# A first pass brings the files the scan left unread (configs, layers) into the page cache.
find "$root/" -type f -print0 | xargs -0 -P "$threads" -n 5000 cat >/dev/null
read_start=$(date +%s.%N)
find "$root/" -type f -print0 | xargs -0 -P "$threads" -n 5000 cat >/dev/null
read_end=$(date +%s.%N)

awk -v s="$start" -v e="$end" -v i="$images" -v n="$signatures" -v r="$rss_kib" -v st="$status" \
    -v root="$root" -v t="$threads" -v f="$floor_s" \
    -v rs="$read_start" -v re="$read_end" -v nf="$files" \
    -v pd="$(phase discovered)" -v pv="$(phase verified)" -v pa="$(phase aggregated)" -v pr="$(phase rendered)" \
    'BEGIN {
        w = e - s
        printf "bench: %s: %d images, %d signatures, %d threads\n", root, i, n, t
        printf "scan: wall %.2f s, %.0f images/s, %.0f signatures/s, peak RSS %.1f MiB, exit %d\n",
            w, i / w, n / w, r / 1024, st
        printf "phases: walk and parse %.2f s, verification %.2f s, aggregation %.2f s, rendering %.2f s\n",
            pd / 1000, pv / 1000, pa / 1000, pr / 1000
        printf "crypto floor: %.2f s (%d verifications); scan/floor %.2f, verification/floor %.2f\n",
            f, n, w / f, (pv / 1000) / f
        rd = re - rs
        printf "read floor: %.2f s (%d files, all of the rootDir); scan/(crypto floor + read floor) %.2f\n",
            rd, nf, w / (f + rd)
    }'
echo "reports: $out" >&2
