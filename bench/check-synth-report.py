#!/usr/bin/env python3
"""Check a `sigaudit scan` report.json against the synthetic rootDir it was made from.

    bench/check-synth-report.py ROOT REPORT_JSON

Reads the parameters and counts the generator wrote to ROOT.extra/synth.json and checks that the
report lists every image, that every image carries the expected signatures of each kind, that
exactly the signatures made with untrusted material are untrusted (the generator's count, and the
share asked for, rounded per kind), and that all the others are trusted.
"""

import collections
import json
import sys


def main(root, report_path):
    synth = json.load(open(root.rstrip("/") + ".extra/synth.json"))
    params, stats = synth["params"], synth["stats"]
    report = json.load(open(report_path))
    problems = []

    images = report["images"]
    if len(images) != params["images"]:
        problems.append(f"{len(images)} images in the report, {params['images']} generated")

    # JWS and COSE alternate across all ES384 signatures, so with an odd count per image the
    # split differs from image to image; only the notation total per image is fixed.
    want_notation = params["notationRsa"] + params["notationEs384"]
    statuses = collections.Counter()
    for image in images:
        formats = collections.Counter(s["format"] for s in image["signatures"])
        notation = formats["notation-jws"] + formats["notation-cose"]
        if formats["simplesigning"] != params["cosign"] or notation != want_notation:
            problems.append(f"{image['repository']}@{image['digest']}: signatures {dict(formats)}")
        for sig in image["signatures"]:
            statuses[sig["status"]] += 1
            if sig["trusted"] != (sig["status"] == "trusted"):
                problems.append(f"{sig['manifestDigest']}: trusted={sig['trusted']} status={sig['status']}")

    total = sum(statuses.values())
    want_total = params["images"] * (params["cosign"] + want_notation)
    if total != want_total:
        problems.append(f"{total} signatures in the report, {want_total} generated")
    if set(statuses) - {"trusted", "untrusted"}:
        problems.append(f"unexpected statuses: {dict(statuses)}")
    untrusted = statuses["untrusted"]
    if untrusted != stats["untrusted"]:
        problems.append(f"{untrusted} untrusted signatures, the generator made {stats['untrusted']}")
    share = 100.0 * untrusted / total if total else 0.0
    asked = params["untrustedBp"] / 100.0
    kinds = sum(1 for n in (params["cosign"], params["notationRsa"], params["notationEs384"]) if n)
    if total and abs(untrusted - total * asked / 100.0) > kinds:
        problems.append(f"untrusted share {share:.2f} %, asked for {asked:.2f} %")

    print(
        f"{len(images)} images, {total} signatures: {statuses['trusted']} trusted, "
        f"{untrusted} untrusted ({share:.2f} %, asked {asked:.2f} %); "
        f"summary: {report['summary']}"
    )
    for p in problems[:20]:
        print("problem:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
