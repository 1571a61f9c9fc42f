#!/usr/bin/env bash
# Benchmark `sigaudit watch` itself on a synthetic rootDir: the initial audit, the refresh after
# one cosign key is dropped into `_cosign/` and the refresh after it is removed, and the watch
# process's peak RSS.
#
#   bench/watch.sh ROOT [FORMATS]      e.g. bench/watch.sh /tmp/r100k json,csv,html
#
# ROOT is a synthetic rootDir (`cargo run --release -p sigaudit-fixtures --example synth -- ROOT
# --images N`); ROOT.extra/extra-key.pub, the key of its untrusted cosign signatures, is the key
# dropped. FORMATS is the watch's --format (default json,csv,html, the default formats).
#
# The watch follows the clock (no --as-of), as it does in production: every cycle audits as of
# its own time, so a notation verdict is reused only when its validity window allows it. The
# times are the watch's own: the initial audit's "reports written in N ms" (discovery, trust,
# verification, report and every file written) and each cycle's (from the first event after the
# debounce to the last report renamed into place). Verdicts reused come from the audit's
# `verified` line. Peak RSS is the process's VmHWM (/proc/PID/status), read before SIGTERM.
# Output: one `key=value` line per figure, on stdout.
#
# Environment:
#   SIGAUDIT   the binary (default target/release/sigaudit, built with `cargo build --release`)
#   ROUNDS     key drop/removal rounds after the initial audit (default 1)
#   WATCH_ARGS extra `sigaudit watch` arguments
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${1:?usage: bench/watch.sh ROOT [FORMATS]}
formats=${2:-json,csv,html}
bin=${SIGAUDIT:-$here/target/release/sigaudit}
rounds=${ROUNDS:-1}
key=$root.extra/extra-key.pub
[[ -f $key ]] || { echo "error: $key not found; help: ROOT must be a synthetic rootDir" >&2; exit 2; }
[[ -x $bin ]] || { echo "error: $bin not found; help: cargo build --release" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sigaudit-watch-bench.XXXXXX")
log=$work/watch.log
dropped=$root/_cosign/sigaudit-bench-extra.pub
pid=
cleanup() {
    [[ -z $pid ]] || kill -TERM "$pid" 2>/dev/null || true
    [[ -z $pid ]] || wait "$pid" 2>/dev/null || true
    rm -f "$dropped"
    rm -rf "$work"
}
trap cleanup EXIT
rm -f "$dropped"

# shellcheck disable=SC2086
RUST_LOG=warn,sigaudit::watch=info,sigaudit::audit=info \
    "$bin" watch "$root" --out "$work/out" --no-config --format "$formats" ${WATCH_ARGS:-} \
    2>"$log" &
pid=$!

# Waits until the log has N lines matching PATTERN; prints the last one.
wait_lines() {
    local pattern=$1 n=$2
    local deadline=$((SECONDS + 3600))
    while (($(grep -c -- "$pattern" "$log" || true) < n)); do
        kill -0 "$pid" 2>/dev/null || { echo "error: the watch exited; log:" >&2; cat "$log" >&2; exit 1; }
        ((SECONDS < deadline)) || { echo "error: timed out waiting for $pattern" >&2; exit 1; }
        sleep 0.2
    done
    grep -- "$pattern" "$log" | sed -n "${n}p"
}
ms_of() { sed -E 's/.*reports written in ([0-9]+) ms.*/\1/' <<<"$1"; }
reused_of() {
    grep -- ' verified' "$log" | sed -n "$1p" | sed -E 's/.*verdicts_reused=([0-9]+).*/\1/'
}
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }

line=$(wait_lines 'initial audit of' 1)
initial=$(ms_of "$line")
images=$(sed -E 's/.*: ([0-9]+) images,.*/\1/' <<<"$line")
echo "formats=$formats images=$images initial_ms=$initial hwm_after_initial_mib=$(($(hwm) / 1024)) rss_after_initial_mib=$(($(rss) / 1024))"
# Let the watches settle (a drop during the initial arm would be one more event, not a problem).
sleep 1
cycle=0
for ((r = 1; r <= rounds; r++)); do
    for step in added removed; do
        if [[ $step == added ]]; then cp "$key" "$dropped"; else rm -f "$dropped"; fi
        cycle=$((cycle + 1))
        line=$(wait_lines 'signatures changed verdict' "$cycle")
        ms=$(ms_of "$line")
        changed=$(sed -E 's/.*: ([0-9]+) signatures changed verdict.*/\1/' <<<"$line")
        reused=$(reused_of $((cycle + 1)))
        printf 'round=%d key_%s_ms=%s ratio=%s verdicts_changed=%s verdicts_reused=%s rss_mib=%s\n' \
            "$r" "$step" "$ms" "$(awk -v a="$ms" -v b="$initial" 'BEGIN { printf "%.3f", a / b }')" \
            "$changed" "$reused" $(($(rss) / 1024))
    done
done
echo "peak_rss_mib=$(($(hwm) / 1024))"
