#!/bin/sh
# A CI step that fails the pipeline when the registry's images break the compliance rules.
#
#   deploy/ci/sigaudit-gate.sh ROOTDIR [OUT]
#
# Audits ROOTDIR (a zot rootDir the CI job can read: a mounted volume, a restored backup) and
# writes the reports to OUT (default: sigaudit-reports): report.junit.xml for the CI's test
# view, report.sarif for code-scanning dashboards, report.json and report.html as evidence.
# Exits with sigaudit's status: 0 when every image complies, 1 when one does not (the step
# fails), 2 on a usage or configuration error, 3 when ROOTDIR cannot be read or holds no
# repository.
#
# Environment: SIGAUDIT (the binary, default `sigaudit` on PATH), SIGAUDIT_FAIL_ON (default
# violations; untrusted, unsigned, policy-reject or never), SIGAUDIT_CONFIG (the rules; default
# ./sigaudit.toml when present, else the built-in rule: one trusted signature per image),
# SIGAUDIT_ARGS (more flags, e.g. "--registry registry.example.com --as-of 2026-11-23T00:00:00Z").
set -u
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  echo "usage: $0 ROOTDIR [OUT]" >&2
  exit 2
fi
root="$1"
out="${2:-sigaudit-reports}"
sigaudit="${SIGAUDIT:-sigaudit}"
# SIGAUDIT_ARGS is split on blanks on purpose (flags and their values).
# shellcheck disable=SC2086
"$sigaudit" scan "$root" --out "$out" --format json,html,junit,sarif \
  --fail-on "${SIGAUDIT_FAIL_ON:-violations}" ${SIGAUDIT_ARGS:-}
status=$?
case "$status" in
  0) echo "sigaudit: every image of $root complies; reports in $out" ;;
  1) echo "sigaudit: --fail-on ${SIGAUDIT_FAIL_ON:-violations} tripped on $root: see $out/report.html or the test report $out/report.junit.xml" >&2 ;;
  *) echo "sigaudit: the audit of $root could not be completed (exit $status); see the error above" >&2 ;;
esac
exit "$status"
