#!/usr/bin/env bash
# Seed and run every fuzz target for SECONDS each (default 600), two at a time, at the lowest
# CPU priority. Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Logs go to fuzz/logs/<target>.log (libFuzzer's final stats are at the end); crashes to
# fuzz/artifacts/<target>/. The exit status is non-zero when any target found a crash.
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Address Sanitizer adds little to a crate that forbids `unsafe`; debug assertions (overflow
# checks) are what matter, and `-a` keeps them on.
build_flags=(--sanitizer none -a)
./seed.sh
cargo +nightly fuzz build "${build_flags[@]}" || exit 1
mkdir -p logs
status=0
run_one() {
    local t="$1"
    echo "fuzz: $t for ${seconds}s (log: fuzz/logs/$t.log)"
    nice -n 19 cargo +nightly fuzz run "${build_flags[@]}" "$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        >"logs/$t.log" 2>&1
}
i=0
while [ "$i" -lt "${#targets[@]}" ]; do
    pids=()
    names=()
    for t in "${targets[@]:$i:2}"; do
        run_one "$t" &
        pids+=("$!")
        names+=("$t")
    done
    for k in "${!pids[@]}"; do
        if ! wait "${pids[$k]}"; then
            echo "fuzz: ${names[$k]} FAILED, see fuzz/logs/${names[$k]}.log and fuzz/artifacts/${names[$k]}/"
            status=1
        else
            echo "fuzz: ${names[$k]}: $(grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units)' "logs/${names[$k]}.log" | tr '\n' ' ')"
        fi
    done
    i=$((i + 2))
done
exit "$status"
