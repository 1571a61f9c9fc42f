//! Index and manifest parsing: a repository's `index.json` and the manifests and indexes it
//! reaches, read by `sigaudit::discover::discover` from a real OCI layout on disk.
//!
//! Input: parts separated by `\n--blob--\n`; part 0 is `index.json`, parts 1.. are blobs.
//! `@N@` inside any part is replaced by `sha256:<hex>` of part N (after part N's own
//! replacements; parts are resolved from the last to the first), so the fuzzer can keep the
//! descriptors pointing at blobs whose digests it could never compute itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigaudit::digest::Digest;
use sigaudit::layout::RepoLocation;

const SEP: &[u8] = b"\n--blob--\n";
const MAX_PARTS: usize = 16;

fn split(data: &[u8]) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < MAX_PARTS {
        match rest.windows(SEP.len()).position(|w| w == SEP) {
            Some(i) => {
                parts.push(rest[..i].to_vec());
                rest = &rest[i + SEP.len()..];
            }
            None => break,
        }
    }
    parts.push(rest.to_vec());
    parts
}

fn replace(part: &[u8], digests: &[Option<String>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(part.len());
    let mut i = 0;
    while i < part.len() {
        if part[i] == b'@' {
            let digits = part[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if (1..=2).contains(&digits) && part.get(i + 1 + digits) == Some(&b'@') {
                let n: usize = std::str::from_utf8(&part[i + 1..i + 1 + digits])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(usize::MAX);
                if let Some(Some(d)) = digests.get(n) {
                    out.extend_from_slice(d.as_bytes());
                    i += digits + 2;
                    continue;
                }
            }
        }
        out.push(part[i]);
        i += 1;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut parts = split(data);
    let mut digests: Vec<Option<String>> = vec![None; parts.len()];
    for n in (0..parts.len()).rev() {
        let resolved = replace(&parts[n], &digests);
        digests[n] = Some(Digest::sha256_of(&resolved).to_string());
        parts[n] = resolved;
    }
    let root = sigaudit_fuzz::scratch();
    let repo_dir = root.join("team").join("app");
    let blobs = repo_dir.join("blobs").join("sha256");
    let _ = std::fs::remove_dir_all(&repo_dir);
    std::fs::create_dir_all(&blobs).expect("create the layout");
    std::fs::write(
        repo_dir.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("write oci-layout");
    std::fs::write(repo_dir.join("index.json"), &parts[0]).expect("write index.json");
    for (part, digest) in parts.iter().zip(&digests).skip(1) {
        let Some(d) = digest else { continue };
        let hex = d.trim_start_matches("sha256:");
        std::fs::write(blobs.join(hex), part).expect("write blob");
    }
    let repo = RepoLocation {
        name: "team/app".into(),
        path: repo_dir,
        root: root.to_path_buf(),
        store: sigaudit::layout::LocalStorage::new(root),
    };
    let graph = sigaudit::discover::discover(root, &repo);
    // Every artifact found names a subject that is one of the images (orphans are findings).
    for a in &graph.artifacts {
        assert!(
            graph.images.iter().any(|i| i.digest == a.subject),
            "artifact {} names subject {} which is not an image",
            a.manifest_digest,
            a.subject
        );
    }
    // The graph renders the way the audit uses it.
    for f in &graph.findings {
        let _ = format!("{f:?}");
    }
});
