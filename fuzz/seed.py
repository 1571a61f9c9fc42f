#!/usr/bin/env python3
"""Build the fuzz targets' seed corpora from real inputs.

Reads the committed fixtures (../fixtures) and, when present, the shared upstream vectors
(../../shared/vectors relative to this folder, i.e. ../shared/vectors beside the checkout),
and writes one file per seed into corpus/<target>/ (git-ignored; the vectors are never
copied into the repository). Files are classified by content, not by name, so that a new
fixture or vector is picked up without touching this script.
"""
import base64
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
SOURCES = [os.path.join(PROJECT, "fixtures"), os.path.join(PROJECT, "..", "shared", "vectors")]
TARGETS = ["layout", "cosign_payload", "sigstore_bundle", "dsse", "notation_jws",
           "notation_cose", "certificate", "trust_store", "trust_policy", "timestamp",
           "gpg_signature", "gpg_keyring", "containers_policy", "registries_d"]
MAX_FILE = 1 << 20
SEP = b"\n--blob--\n"
DIGEST = re.compile(rb"sha256:[0-9a-f]{64}")
# OpenPGP packet tags that start a signed message (signature, one-pass signature, compressed
# data, literal data) and a keyring (public key).
PGP_MESSAGE_TAGS = {2, 4, 8, 11}
PGP_KEY_TAGS = {6}
# registries.d files, as containers-registries.d(5) documents them: no fixture or vector holds
# one (the tests write theirs inline), so these few are the seeds.
REGISTRIES_D = [
    b"default-docker:\n  lookaside: file:///var/lib/containers/sigstore\n",
    b"docker:\n  registry.example/team:\n    lookaside: file:///srv/sigs/team\n"
    b"    lookaside-staging: file:///srv/staging\n  registry.example:\n"
    b"    sigstore: https://sigs.example.com\n",
    b"default-docker:\n  use-sigstore-attachments: true\ndocker:\n"
    b"  localhost:5000/a:\n    lookaside: file:///tmp/a\n    use-sigstore-attachments: false\n",
]

counts = {t: 0 for t in TARGETS}


def save(target, data):
    if not data:
        return
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(HERE, "corpus", target, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        counts[target] += 1


def b64(s):
    s = s.strip()
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4))
    except Exception:
        try:
            return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        except Exception:
            return b""


def json_of(data):
    try:
        return json.loads(data)
    except Exception:
        return None


def pgp_tag(first):
    """The packet tag of an OpenPGP packet's first byte, or None when it is not one."""
    if not first & 0x80:
        return None
    return first & 0x3F if first & 0x40 else (first >> 2) & 0x0F


def classify(path, data):
    if b"-----BEGIN PGP PUBLIC KEY BLOCK" in data:
        save("gpg_keyring", data)
        return
    if b"-----BEGIN PGP MESSAGE" in data or b"-----BEGIN PGP SIGNATURE" in data:
        save("gpg_signature", data)
        return
    if data.startswith(b"\0sigstore-json") or data.startswith(b"\0simple-signing"):
        save("gpg_signature", data)
        return
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        v = json_of(data)
        if isinstance(v, dict):
            classify_json(v, data)
        return
    if b"-----BEGIN CERTIFICATE" in data:
        save("certificate", data)
        save("trust_store", data)
        return
    if b"-----BEGIN" in data and b"KEY-----" in data:
        save("trust_store", data)
        return
    if data[:1] in (b"\xd2", b"\x84"):
        save("notation_cose", data)
        return
    tag = pgp_tag(data[0]) if data else None
    if tag in PGP_MESSAGE_TAGS:
        save("gpg_signature", data)
        return
    if tag in PGP_KEY_TAGS:
        save("gpg_keyring", data)
        return
    if data[:1] == b"\x30":
        ext = os.path.splitext(path)[1].lower()
        if ext in (".p7s", ".tsr", ".tst"):
            save("timestamp", data)
        elif ext in (".crl",):
            return
        else:
            save("certificate", data)
            save("trust_store", data)


def classify_json(v, data):
    if isinstance(v.get("default"), list) or isinstance(v.get("transports"), dict):
        save("containers_policy", data)
    if "trustPolicies" in v:
        save("trust_policy", data)
    if str(v.get("mediaType", "")).startswith("application/vnd.dev.sigstore.bundle"):
        save("sigstore_bundle", data)
        env = v.get("dsseEnvelope")
        if isinstance(env, dict) and isinstance(env.get("payload"), str):
            save("dsse", b64(env["payload"]))
    if isinstance(v.get("critical"), dict):
        save("cosign_payload", data)
    if "payload" in v and "protected" in v and "signature" in v:
        save("notation_jws", data)
        header = v.get("header")
        if isinstance(header, dict):
            ts = header.get("io.cncf.notary.timestampSignature")
            if isinstance(ts, str):
                save("timestamp", b64(ts))
    if "_type" in v and "subject" in v:
        save("dsse", data)


def layout_seed(repo):
    """index.json and every manifest or index blob of one repository, digests as @N@."""
    blobs_dir = os.path.join(repo, "blobs", "sha256")
    with open(os.path.join(repo, "index.json"), "rb") as f:
        index = f.read()
    manifests = {}
    if os.path.isdir(blobs_dir):
        for name in sorted(os.listdir(blobs_dir)):
            p = os.path.join(blobs_dir, name)
            if os.path.getsize(p) > MAX_FILE:
                continue
            with open(p, "rb") as f:
                data = f.read()
            v = json_of(data)
            if isinstance(v, dict) and ("manifests" in v or "layers" in v or "config" in v):
                manifests["sha256:" + name] = data
    # Order: whoever references a blob comes before it (the harness resolves from the end).
    order = []
    seen = set()

    def visit(d):
        if d in seen or d not in manifests:
            return
        seen.add(d)
        for ref in DIGEST.findall(manifests[d]):
            visit(ref.decode())
        order.append(d)

    for ref in DIGEST.findall(index):
        visit(ref.decode())
    for d in sorted(manifests):
        visit(d)
    order = list(reversed(order))[:15]
    number = {d: i + 1 for i, d in enumerate(order)}

    def sub(data):
        return DIGEST.sub(lambda m: ("@%d@" % number[m.group().decode()]).encode()
                          if m.group().decode() in number else m.group(), data)

    save("layout", SEP.join([sub(index)] + [sub(manifests[d]) for d in order]))


def main():
    for t in TARGETS:
        os.makedirs(os.path.join(HERE, "corpus", t), exist_ok=True)
    for y in REGISTRIES_D:
        save("registries_d", y)
    for src in SOURCES:
        if not os.path.isdir(src):
            print(f"seed: {src} not found, skipped", file=sys.stderr)
            continue
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = sorted(d for d in dirnames if d != "target")
            if "index.json" in filenames and os.path.isdir(os.path.join(dirpath, "blobs")):
                layout_seed(dirpath)
            for name in sorted(filenames):
                p = os.path.join(dirpath, name)
                if not os.path.isfile(p) or os.path.islink(p) or os.path.getsize(p) > MAX_FILE:
                    continue
                with open(p, "rb") as f:
                    classify(p, f.read())
    for t in TARGETS:
        total = len(os.listdir(os.path.join(HERE, "corpus", t)))
        print(f"seed: {t}: {counts[t]} new, {total} in corpus/{t}")


if __name__ == "__main__":
    main()
