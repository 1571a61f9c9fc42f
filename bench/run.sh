#!/usr/bin/env bash
# Benchmark `sigaudit scan` on a synthetic zot rootDir.
#
#   bench/run.sh [synth options]        e.g. bench/run.sh --images 10000 --notation-es384 1
#
# 1. builds sigaudit and the synth generator (--release);
# 2. generates a rootDir with the given options (see `fixtures/generator/README.md`, "Synthetic
#    rootDirs for benchmarks") into $BENCH_DIR, or reuses the one those options made before
#    (delete $BENCH_DIR after changing the generator);
# 3. runs `sigaudit scan ROOT --out OUT --format json,csv` and prints wall time, images/s,
#    signatures/s, peak RSS and where the time went (walk and parse, verification, aggregation,
#    rendering, from the scan's debug log);
# 4. measures, in the same run, the honest floor (examples/honest_floor.rs: one parallel pass over
#    exactly the work a scan cannot avoid: open, read and close index.json, every manifest and
#    every payload or envelope, SHA-256 each against its name, parse each JSON document once into
#    typed structs, decode the envelopes, verify every signature with keys parsed once per
#    distinct key; same thread count) and the crypto floor (examples/floor.rs: the signature
#    verifications alone), and prints the scan's wall time as a ratio to each.
# With REPEAT=N the three are run N times, interleaved (scan, honest floor, crypto floor), each
# round printed, then the medians and the median of the per-round ratios: on a shared machine
# compare ratios within one run.
#
# Environment:
#   BENCH_DIR         where rootDirs and reports go (default ${TMPDIR:-/tmp}/sigaudit-bench)
#   CARGO_TARGET_DIR  cargo's target folder (default <workspace>/target)
#   SCAN_ARGS         extra `sigaudit scan` arguments, e.g. "-j 1"
#   FORMATS           the scan's --format (default json,csv; e.g. json,csv,html, the default)
#   REPEAT            rounds (default 1)
#   ROOT              an existing synthetic rootDir to use instead of generating one (its
#                     ROOT.extra/synth.json must exist)
# Peak RSS comes from GNU time (`apt-get install time`) when /usr/bin/time exists, otherwise
# from polling VmHWM in /proc (coarser).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}/sigaudit-bench}

cd "$here"
# One invocation: built separately (`-p` each), the binary and the two examples each got a
# feature set of their own, so sigaudit was compiled three times over in release mode.
cargo build --quiet --release --bin sigaudit --example synth --example floor --example honest_floor

# One rootDir per option set; synth.json is written last, so its presence means "complete".
key=$(printf '%s_' "${@:-defaults}" | tr -c 'A-Za-z0-9._-' '_')
root=${ROOT:-$bench_dir/root-${key%_}}
out=$bench_dir/out-${key%_}
mkdir -p "$bench_dir"
if [[ -f $root.extra/synth.json ]]; then
    echo "bench: reusing $root" >&2
elif [[ -n ${ROOT:-} ]]; then
    echo "bench: ROOT=$root has no $root.extra/synth.json" >&2
    exit 2
else
    "$target/release/examples/synth" "$root" --force "$@"
fi
stats=$(sed 's/.*"stats"://' "$root.extra/synth.json") # the counts, not the parameters
field() { grep -o "\"$1\":[0-9]*" <<<"$stats" | sed -n 1p | cut -d: -f2; }
images=$(field images)
signatures=$(($(field cosign) + $(field notationRsa) + $(field notationEs384Jws) + $(field notationEs384Cose)))

formats=${FORMATS:-json,csv}
# shellcheck disable=SC2086 # SCAN_ARGS is a list of words
scan=("$target/release/sigaudit" scan "$root" --out "$out" --format "$formats" ${SCAN_ARGS:-})
# The scan's worker count: SCAN_ARGS's -j, else the scan's default (four per core, at most 64);
# the floors run with the same count.
threads=$(grep -o -- '-j *[0-9]*' <<<"${SCAN_ARGS:-}" | grep -o '[0-9]*' || echo $(( $(nproc) * 4 > 64 ? 64 : $(nproc) * 4 )))
log=$bench_dir/scan.log
rounds=${REPEAT:-1}
# The elapsed_ms of the first log line whose message is $1 (0 when absent).
phase() { grep -E " $1( |\$)" "$log" | sed -n 1p | grep -o 'elapsed_ms=[0-9]*' | cut -d= -f2 || echo 0; }
value() { grep -o "$1=[0-9.]*" <<<"$2" | cut -d= -f2; }
echo "bench: $root: $images images, $signatures signatures, $threads threads, --format $formats, load average $(cut -d' ' -f1-3 /proc/loadavg)"
walls=() honest=() crypto=() r_honest=() r_crypto=()
for ((round = 1; round <= rounds; round++)); do
    rm -rf "$out"
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
    hf=$("$target/release/examples/honest_floor" "$root" -j "$threads")
    cf=$("$target/release/examples/floor" --synth "$root.extra/synth.json" -j "$threads")
    wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
    h=$(value honest_floor_s "$hf") c=$(value floor_s "$cf")
    walls+=("$wall") honest+=("$h") crypto+=("$c")
    r_honest+=("$(awk -v w="$wall" -v f="$h" 'BEGIN { printf "%.3f", w / f }')")
    r_crypto+=("$(awk -v w="$wall" -v f="$c" 'BEGIN { printf "%.3f", w / f }')")
    awk -v w="$wall" -v i="$images" -v n="$signatures" -v r="$rss_kib" -v st="$status" \
        -v h="$h" -v c="$c" -v hf="$hf" -v round="$round" -v rounds="$rounds" \
        -v pd="$(phase discovered)" -v pv="$(phase verified)" -v pa="$(phase aggregated)" -v pr="$(phase rendered)" \
        'BEGIN {
            if (rounds > 1) printf "round %d of %d\n", round, rounds
            printf "scan: wall %.2f s, %.0f images/s, %.0f signatures/s, peak RSS %.1f MiB, exit %d\n",
                w, i / w, n / w, r / 1024, st
            printf "phases: walk and parse %.2f s, verification %.2f s, aggregation %.2f s, rendering %.2f s\n",
                pd / 1000, pv / 1000, pa / 1000, pr / 1000
            split(hf, kv, " ")
            printf "honest floor: %.2f s (%s %s %s); scan/honest floor %.2f\n", h, kv[3], kv[4], kv[5], w / h
            printf "crypto floor: %.2f s (%d verifications); scan/crypto floor %.2f, verification/crypto floor %.2f\n",
                c, n, w / c, (pv / 1000) / c
        }'
done
if ((rounds > 1)); then
    median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    printf 'medians of %d rounds: scan %.2f s, honest floor %.2f s, crypto floor %.2f s; scan/honest floor %.2f, scan/crypto floor %.2f\n' \
        "$rounds" "$(median "${walls[@]}")" "$(median "${honest[@]}")" "$(median "${crypto[@]}")" \
        "$(median "${r_honest[@]}")" "$(median "${r_crypto[@]}")"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "reports: $out" >&2
