#!/usr/bin/env bash
# Is `sigaudit scan` linear in everything a pusher controls? Times scans of one repository as
# one quantity grows, and prints the time per item at each size: a linear scan keeps it flat.
#
#   bench/linear.sh [SIZES...]        default sizes: 1000 10000 100000 300000
#
# Series (each a synthetic rootDir from the synth generator; see fixtures/generator/README.md):
#   tags        one image with N tags (index.json: N entries naming one digest)
#   entries     N images in one repository, each tagged and cosign-signed (2N index.json entries);
#               capped at 100000 (200,000 entries, 50 MB): an index.json over 64 MiB is refused
#               by design (its repository counts as unreadable)
#   referrers   one image with N cosign OCI 1.1 referrers (N signatures on one subject)
#   layers      one image whose one `.sig` manifest has N signature layers (signatures per
#               image); capped at 10000, since a manifest over 4 MiB is refused by design
#
# Each scan runs REPEAT times (default 3; `--format json`, all threads) and the median wall
# time is printed. Release build. Environment: BENCH_DIR (default ${TMPDIR:-/tmp}/sigaudit-linear),
# REPEAT, CARGO_TARGET_DIR, SERIES (e.g. "tags entries").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}/sigaudit-linear}
repeat=${REPEAT:-3}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000 10000 100000 300000)
series=(${SERIES:-tags entries referrers layers})

cd "$here"
cargo build --quiet --release --bin sigaudit --example synth
mkdir -p "$bench_dir"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-10s %8s %10s %12s %10s\n' series N 'median s' 'us per item' 'images'
for s in "${series[@]}"; do
    for n in "${sizes[@]}"; do
        case $s in
            tags) opts=(--repos 1 --images 1 --cosign 0 --notation-rsa 0 --extra-tags "$((n - 1))") ;;
            entries)
                [[ $n -le 100000 ]] || continue
                opts=(--repos 1 --images "$n" --cosign 1 --notation-rsa 0 --untrusted 0)
                ;;
            referrers) opts=(--repos 1 --images 1 --cosign 0 --notation-rsa 0 --cosign-referrers "$n") ;;
            layers)
                [[ $n -le 10000 ]] || continue
                opts=(--repos 1 --images 1 --cosign "$n" --notation-rsa 0 --untrusted 0)
                ;;
            *) echo "unknown series $s" >&2; exit 2 ;;
        esac
        root=$bench_dir/$s-$n
        if [[ ! -f $root.extra/synth.json ]]; then
            "$target/release/examples/synth" "$root" --force "${opts[@]}" 2>/dev/null
        fi
        times=()
        for _ in $(seq "$repeat"); do
            out=$(mktemp -d "$bench_dir/out.XXXXXX")
            start=$(date +%s.%N)
            "$target/release/sigaudit" scan "$root" --no-config --format json --out "$out" -q
            end=$(date +%s.%N)
            times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')")
            images=$(grep -o '"images":[0-9]*' "$out/report.json" | sed -n 1p | cut -d: -f2)
            rm -rf "$out"
        done
        med=$(printf '%s\n' "${times[@]}" | median)
        printf '%-10s %8d %10.3f %12.2f %10s\n' "$s" "$n" "$med" \
            "$(awk -v m="$med" -v n="$n" 'BEGIN {print m * 1000000 / n}')" "$images"
    done
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
