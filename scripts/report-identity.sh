#!/usr/bin/env bash
# Report identity: do two builds of sigaudit write the same reports for every fixture scenario?
#
# A restructuring that claims "behaviour unchanged" runs this against the commit it started
# from. Every report (report.json, report.csv, report.html, report.junit.xml, report.sarif,
# report.prom) of every `fixtures/*` scenario (each `fixtures/broken/*` rootDir counts as one),
# plus a few scenarios with the flags their trust material needs (lookaside store, GPG keyring,
# containers policy, --registry), and changes.csv with a fixed baseline, is written by each build
# at a fixed --as-of with --no-config and SIGAUDIT_CONFIG unset, then compared byte for byte.
# The exit code and the stderr of every run are compared too.
#
# Both builds scan the same folders (this checkout's fixtures, by absolute path) from a capture
# folder of the same layout, so `rootDir`, `rootDirAbsolute`, `--out` and the baseline's path
# are the same strings. Only wall-clock values are normalised, each replaced by a placeholder:
#   - `generatedAt` (the instant the report was written): its RFC 3339 text, wherever it
#     appears (report.json, .csv, .html, .junit.xml, .sarif, the baseline's copy), and
#     report.prom's `sigaudit_generated_timestamp_seconds` sample;
#   - report.prom's `sigaudit_audit_duration_seconds` sample (how long the audit took).
# Nothing else is rewritten: a difference anywhere else fails the comparison.
#
# Usage:
#   scripts/report-identity.sh [REF]           build REF (default: main) in a worktree under
#                                              target/report-identity/, build this checkout
#                                              (its working tree, uncommitted changes included),
#                                              capture both and compare; exit 1 on a difference.
#   scripts/report-identity.sh capture BIN DIR capture BIN's reports into DIR (must not exist).
#
# REF_BIN=FILE: a sigaudit binary already built from REF, used instead of building REF (for
# example the binary of an untouched checkout of REF; the capture is cached as REF's).
#
# The reference build has its own target folder (target/report-identity/target) so it never
# overwrites this checkout's binary; its capture is kept per commit and per fixtures content
# (target/report-identity/capture-<commit>-<fixtures hash>), so a rerun after each step of a
# change rebuilds and re-captures only this checkout.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
as_of="2026-11-23T00:00:00Z"
baseline_generated="2000-01-01T00:00:00Z"

die() {
  echo "error: $1" >&2
  [ -z "${2:-}" ] || echo "help: $2" >&2
  exit 2
}

# The scenarios: a name, the rootDir under fixtures/, then extra flags. Every rootDir under
# fixtures/ is listed by `scenarios` below; these add the flags some of them are meant for.
extra_scenarios() {
  local f="$repo/fixtures"
  printf '%s\n' \
    "demo+gpg+policy|demo|--lookaside $f/demo-lookaside --gpg-keyring $f/demo-lookaside/release.gpg --policy $f/demo/_policy/policy.json --registry registry.example" \
    "containers-policy+policy|containers-policy|--policy $f/containers-policy/_policy/policy.json --registry registry.example" \
    "notation-policy+registry|notation-policy|--registry registry.example"
}

# Every rootDir under fixtures/: each folder except the generator's sources and the lookaside
# store (not rootDirs), with fixtures/broken/ holding one rootDir per kind of damage.
scenarios() {
  local d name
  for d in "$repo"/fixtures/*/; do
    name="$(basename "$d")"
    case "$name" in
      generator | demo-lookaside) ;;
      broken)
        for b in "$d"*/; do
          printf '%s|%s|\n' "broken-$(basename "$b")" "broken/$(basename "$b")"
        done
        ;;
      *) printf '%s|%s|\n' "$name" "$name" ;;
    esac
  done
  extra_scenarios
}

# Replaces the wall-clock values of one run's files (see the header) by placeholders.
normalise() {
  local dir="$1" generated
  [ -f "$dir/report.json" ] || return 0
  generated="$(grep -o '"generatedAt": *"[^"]*"' "$dir/report.json" | sed -n '1s/.*"\([^"]*\)"$/\1/p')"
  [ -n "$generated" ] || die "$dir/report.json has no generatedAt line" "the report's layout changed; update normalise() in $0"
  find "$dir" -type f -print0 | xargs -0 sed -i "s/$generated/<generatedAt>/g"
  if [ -f "$dir/report.prom" ]; then
    sed -i -E 's/^(sigaudit_generated_timestamp_seconds|sigaudit_audit_duration_seconds) .*/\1 <wall-clock>/' "$dir/report.prom"
  fi
}

# One run of BIN: its files, exit code and stderr under DIR/NAME.
run() {
  local bin="$1" name="$2"
  shift 2
  mkdir -p "runs/$name"
  local code=0
  env -u SIGAUDIT_CONFIG "$bin" scan "$@" --out "runs/$name/out" --no-config --as-of "$as_of" \
    >"runs/$name/stdout" 2>"runs/$name/stderr" || code=$?
  echo "$code" >"runs/$name/exit"
  normalise "runs/$name/out"
}

capture() {
  local bin dir
  bin="$(realpath "$1")"
  dir="$2"
  [ -x "$bin" ] || die "$bin is not an executable" "build it first (cargo build --bin sigaudit)"
  [ ! -e "$dir" ] || die "$dir already exists" "capture into a new folder"
  mkdir -p "$dir"
  (
    cd "$dir"
    # The baseline: the demo's report with its wall-clock generatedAt fixed, so both builds
    # compare with the same bytes (changes.baseline.sha256 is in the reports).
    run "$bin" baseline-source "$repo/fixtures/demo" --format json
    sed "s/<generatedAt>/$baseline_generated/" runs/baseline-source/out/report.json >baseline.json
    local name root extra
    while IFS='|' read -r name root extra; do
      # shellcheck disable=SC2086 # extra holds several flags, split on purpose (no spaces in paths)
      run "$bin" "$name" "$repo/fixtures/$root" $extra --format json,csv,html,junit,sarif,prometheus
      # shellcheck disable=SC2086
      run "$bin" "$name+baseline" "$repo/fixtures/$root" $extra --format json,csv --baseline baseline.json
    done < <(scenarios)
  )
  echo "captured $(find "$dir/runs" -type f | wc -l) files of $(find "$dir/runs" -mindepth 1 -maxdepth 1 | wc -l) runs in $dir"
}

if [ "${1:-}" = capture ]; then
  [ $# = 3 ] || die "capture takes BIN and DIR" "scripts/report-identity.sh capture target/debug/sigaudit /tmp/reports"
  capture "$2" "$3"
  exit 0
fi
[ $# -le 1 ] || die "too many arguments" "scripts/report-identity.sh [REF]"
case "$(realpath "$repo/fixtures/demo" 2>/dev/null)" in
  *' '* | '') die "the checkout's path is missing or has a space: $repo" "run from a checkout whose path has no spaces" ;;
esac

ref="${1:-main}"
sha="$(git -C "$repo" rev-parse --verify "$ref^{commit}")" || die "$ref is not a commit" "give a branch, tag or commit of this repository"
work="$repo/target/report-identity"
mkdir -p "$work"
fixtures_hash="$(cd "$repo" && find fixtures -path fixtures/generator -prune -o -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
ref_capture="$work/capture-${sha:0:12}-$fixtures_hash"

if [ ! -d "$ref_capture" ] && [ -n "${REF_BIN:-}" ]; then
  echo "== capturing $ref (${sha:0:12}) with REF_BIN=$REF_BIN"
  rm -rf "$ref_capture.tmp"
  capture "$REF_BIN" "$ref_capture.tmp"
  mv "$ref_capture.tmp" "$ref_capture"
elif [ ! -d "$ref_capture" ]; then
  tree="$work/ref-worktree"
  if [ -d "$tree" ]; then
    git -C "$tree" checkout -q --detach "$sha"
  else
    git -C "$repo" worktree prune
    git -C "$repo" worktree add -q --detach "$tree" "$sha"
  fi
  echo "== building $ref (${sha:0:12}) in $tree"
  CARGO_TARGET_DIR="$work/target" cargo build -q --manifest-path "$tree/Cargo.toml" --bin sigaudit
  rm -rf "$ref_capture.tmp"
  capture "$work/target/debug/sigaudit" "$ref_capture.tmp"
  mv "$ref_capture.tmp" "$ref_capture"
fi

echo "== building this checkout ($repo)"
cargo build -q --manifest-path "$repo/Cargo.toml" --bin sigaudit
new_capture="$work/capture-worktree"
rm -rf "$new_capture"
capture "$repo/target/debug/sigaudit" "$new_capture"

if diff -r "$ref_capture" "$new_capture" >"$work/diff.txt"; then
  echo "report identity: every report of $(find "$new_capture/runs" -mindepth 1 -maxdepth 1 | wc -l) runs is identical to $ref (${sha:0:12})"
else
  head -60 "$work/diff.txt"
  echo "error: the reports differ from those of $ref (${sha:0:12}); the whole diff is in $work/diff.txt" >&2
  exit 1
fi
