#!/usr/bin/env bash
# Peak memory and wall time of a sharded audit and its merge, against one scan of the whole
# registry (docs/performance.md, "Sharded audits and their merge").
#
#   bench/merge.sh [IMAGES [SHARDS]]      defaults: 100000 images, 10 shards
#
# 1. builds sigaudit and the synth generator (--release);
# 2. generates a rootDir of IMAGES images in 200 repositories, one cosign signature each, into
#    $BENCH_DIR (reused when the same IMAGES made it before);
# 3. REPEAT times (default 3): `scan` of the whole rootDir, `scan --shard I/SHARDS` for every I,
#    then `merge` of the shard reports, each under GNU time (`/usr/bin/time -v`), with the same
#    --as-of and --format json,csv; checks that the merged report.csv is the full scan's;
# 4. prints each run's wall time and peak RSS, then the medians, and the load average.
#
# Environment: BENCH_DIR (default ${TMPDIR:-/tmp}/sigaudit-bench), CARGO_TARGET_DIR, REPEAT.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}/sigaudit-bench}
images=${1:-100000}
shards=${2:-10}
repeat=${REPEAT:-3}
if [[ ! -x /usr/bin/time ]]; then
    echo "error: GNU time (/usr/bin/time) is needed for peak RSS; apt-get install time" >&2
    exit 1
fi

cd "$here"
cargo build --quiet --release --bin sigaudit --example synth
bin=$target/release/sigaudit
root=$bench_dir/merge-root-$images
mkdir -p "$bench_dir"
if [[ -f $root.extra/synth.json ]]; then
    echo "bench: reusing $root" >&2
else
    "$target/release/examples/synth" "$root" --force --images "$images" --repos 200 \
        --cosign 1 --notation-rsa 0
fi
out=$bench_dir/merge-out
common=(--format json,csv --as-of 2026-11-23T00:00:00Z --no-config -q)

# Runs "$@" under GNU time; prints "WALL_SECONDS RSS_KIB".
measure() {
    local t=$bench_dir/merge-time.txt status=0
    /usr/bin/time -v -o "$t" "$@" || status=$?
    if [[ $status -gt 1 ]]; then
        echo "error: exit $status: $*" >&2
        exit 1
    fi
    awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i]}
                /Maximum resident set size/ {r = $2}
                END {printf "%.2f %d\n", w, r}' "$t"
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

full_w=() full_r=() shard_w=() shard_r=() merge_w=() merge_r=()
for run in $(seq 1 "$repeat"); do
    rm -rf "$out"
    read -r w r < <(measure "$bin" scan "$root" --out "$out/full" "${common[@]}")
    full_w+=("$w") full_r+=("$r")
    sum_w=0 max_r=0 files=()
    for i in $(seq 0 $((shards - 1))); do
        read -r w r < <(measure "$bin" scan "$root" --out "$out/shard-$i" --shard "$i/$shards" "${common[@]}")
        sum_w=$(awk -v a="$sum_w" -v b="$w" 'BEGIN {print a + b}')
        ((r > max_r)) && max_r=$r
        files+=("$out/shard-$i/report.json")
    done
    shard_w+=("$sum_w") shard_r+=("$max_r")
    read -r w r < <(measure "$bin" merge "${files[@]}" --out "$out/merged" --format json,csv --no-config -q)
    merge_w+=("$w") merge_r+=("$r")
    cmp "$out/full/report.csv" "$out/merged/report.csv"
    printf 'run %d: full scan %.2f s %.1f MiB; %d shards %.2f s in all, largest %.1f MiB; merge %.2f s %.1f MiB\n' \
        "$run" "${full_w[-1]}" "$(awk -v r="${full_r[-1]}" 'BEGIN {print r / 1024}')" "$shards" \
        "$sum_w" "$(awk -v r="$max_r" 'BEGIN {print r / 1024}')" \
        "$w" "$(awk -v r="$r" 'BEGIN {print r / 1024}')"
done
reports=$(du -sh "$out"/shard-*/report.json | awk '{print $1}' | paste -sd' ')
mib() { awk '{printf "%.1f", $1 / 1024}'; }
echo "bench: $images images, $shards shards, $repeat runs; shard report.json sizes: $reports"
echo "median: full scan $(printf '%s\n' "${full_w[@]}" | median) s, $(printf '%s\n' "${full_r[@]}" | median | mib) MiB;" \
    "shards $(printf '%s\n' "${shard_w[@]}" | median) s in all, largest $(printf '%s\n' "${shard_r[@]}" | median | mib) MiB;" \
    "merge $(printf '%s\n' "${merge_w[@]}" | median) s, $(printf '%s\n' "${merge_r[@]}" | median | mib) MiB"
echo "merged report.csv equal to the full scan's in every run; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
