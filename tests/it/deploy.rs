//! The deployment examples under deploy/ and the Dockerfile, run as far as this machine can run
//! them: the systemd units pass `systemd-analyze verify` and their command audits the demo and
//! publishes report.prom; the Kubernetes CronJob and watch Deployment have the fields that
//! matter, and their arguments run on the demo with the trust material laid out as the kubelet
//! lays out a ConfigMap volume (links into `..data`), trusting exactly what the plain files
//! trust; the CI gate fails on the demo and passes on a registry that complies; the container
//! image is built with podman and audits the demo as uid 65532 on a read-only root.

use crate::common;
use crate::common::Sigaudit;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

/// The binary, written into the deployment files (units, scripts) the tests run.
const BIN: &str = env!("CARGO_BIN_EXE_sigaudit");

fn project_file(rel: &str) -> PathBuf {
    common::project().join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(project_file(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn demo() -> PathBuf {
    project_file("fixtures/demo")
}

fn report(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json"))
        .expect("valid JSON")
}

/// `sigaudit` with a deployment's `args` as written, run in `cwd` with no config from the
/// environment.
fn sigaudit(args: &[String], cwd: &Path) -> std::process::Output {
    Sigaudit::new()
        .args(args)
        .current_dir(cwd)
        .verbatim()
        .output()
        .expect("run sigaudit")
}

/// Every image's (repository, digest, status): what two audits must agree on.
fn verdicts(r: &Value) -> BTreeSet<(String, String, String)> {
    r["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| {
            (
                i["repository"].as_str().expect("repo").to_string(),
                i["digest"].as_str().expect("digest").to_string(),
                i["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// systemd

/// The value of `key=` in a unit file, continuation lines joined.
fn unit_value(unit: &str, key: &str) -> String {
    let mut lines = unit.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix(&format!("{key}=")) {
            let mut value = rest.to_string();
            while value.ends_with('\\') {
                value.pop();
                value.push(' ');
                value.push_str(lines.next().expect("continuation").trim());
            }
            return value;
        }
    }
    panic!("no {key}= in the unit");
}

#[test]
fn systemd_units_verify_and_the_service_audits_and_publishes_the_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let service = read("deploy/systemd/sigaudit.service");
    let timer = read("deploy/systemd/sigaudit.timer");
    assert!(service.contains("/usr/local/bin/sigaudit scan /var/lib/zot"));
    assert!(timer.contains("Persistent=true") && timer.contains("WantedBy=timers.target"));
    if let Some(analyze) = common::tool("systemd-analyze") {
        // As installed: the binary where the unit names it (here the one just built), its man
        // page on MANPATH (Documentation=man:sigaudit(1) is checked).
        let units = dir.path().join("units");
        std::fs::create_dir_all(&units).expect("mkdir");
        std::fs::write(
            units.join("sigaudit.service"),
            service.replace("/usr/local/bin/sigaudit", BIN),
        )
        .expect("write");
        std::fs::write(units.join("sigaudit.timer"), &timer).expect("write");
        let man = dir.path().join("man/man1");
        std::fs::create_dir_all(&man).expect("mkdir");
        let page = Sigaudit::new().arg("man").output().expect("man");
        std::fs::write(man.join("sigaudit.1"), page.stdout).expect("write");
        let verify = |files: &[PathBuf]| {
            let out = Process::new(&analyze)
                .arg("verify")
                .args(files)
                .env("MANPATH", dir.path().join("man"))
                .env("SYSTEMD_LOG_COLOR", "0")
                .output()
                .expect("systemd-analyze");
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let files = [units.join("sigaudit.service"), units.join("sigaudit.timer")];
        let (ok, stderr) = verify(&files);
        assert!(ok && stderr.trim().is_empty(), "systemd-analyze: {stderr}");
        // The control: a misspelt setting is reported.
        let bad = units.join("bad.service");
        std::fs::write(
            &bad,
            service
                .replace("/usr/local/bin/sigaudit", BIN)
                .replace("ReadOnlyPaths=", "ReadOnlyPath="),
        )
        .expect("write");
        let (_, stderr) = verify(&[bad]);
        assert!(stderr.contains("ReadOnlyPath"), "{stderr}");
    }

    // The service's command on the demo, its folders moved into the tempdir.
    let out = dir.path().join("state/reports");
    let cache = dir.path().join("cache");
    let textfile = dir.path().join("node-exporter");
    std::fs::create_dir_all(&textfile).expect("mkdir");
    let places = |s: &str| {
        s.replace("/var/lib/sigaudit/reports", &out.display().to_string())
            .replace("/var/cache/sigaudit", &cache.display().to_string())
            .replace(
                "/var/lib/prometheus/node-exporter",
                &textfile.display().to_string(),
            )
            .replace("/var/lib/zot", &demo().display().to_string())
    };
    let exec: Vec<String> = places(&unit_value(&service, "ExecStart"))
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(exec[0], "/usr/local/bin/sigaudit");
    let run = sigaudit(&exec[1..], dir.path());
    // The demo has images that fail the built-in rule: --fail-on violations trips, the unit
    // fails, and the reports are written all the same.
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for f in ["report.json", "report.csv", "report.html", "report.prom"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    assert!(cache.is_dir(), "--cache used");
    // ExecStopPost publishes report.prom by rename.
    let post = places(&unit_value(&service, "ExecStopPost"));
    let script = post
        .strip_prefix("/bin/sh -c '")
        .and_then(|s| s.strip_suffix('\''))
        .expect("ExecStopPost=/bin/sh -c '...'");
    let status = Process::new("/bin/sh")
        .args(["-c", script])
        .status()
        .expect("sh");
    assert!(status.success());
    assert_eq!(
        std::fs::read(textfile.join("sigaudit.prom")).expect("published"),
        std::fs::read(out.join("report.prom")).expect("report.prom")
    );
    let left: Vec<_> = std::fs::read_dir(&textfile)
        .expect("read")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("sigaudit.prom")]);
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

fn yaml(rel: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(docs.len(), 1, "{rel}: one document");
    docs.remove(0)
}

fn s(y: &Yaml) -> &str {
    y.as_str().unwrap_or_else(|| panic!("not a string: {y:?}"))
}

fn list(y: &Yaml) -> &Vec<Yaml> {
    y.as_vec().unwrap_or_else(|| panic!("not a list: {y:?}"))
}

/// The links the examples ask for in the rootDir, to where the ConfigMaps are mounted.
const TRUST_LINKS: [(&str, &str); 2] = [
    ("_cosign", "/etc/zot/cosign"),
    ("_notation", "/etc/zot/notation/_notation"),
];

/// The uid and gid of the Dockerfile's last `USER`.
fn dockerfile_user() -> (i64, i64) {
    let user = read("Dockerfile")
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("USER")
        .trim()
        .to_string();
    let (u, g) = user.split_once(':').expect("USER uid:gid");
    (
        u.parse().expect("numeric uid"),
        g.parse().expect("numeric gid"),
    )
}

/// What a Pod spec must say: non-root as the image's user, a read-only root filesystem, the
/// rootDir mounted read-only from a read-only claim, `_cosign` and `_notation` from ConfigMaps,
/// the output folder writable. Returns the container's arguments and the Pod spec.
fn check_pod(pod: &Yaml, what: &str) -> Vec<String> {
    let (uid, gid) = dockerfile_user();
    let sc = &pod["securityContext"];
    assert_eq!(sc["runAsNonRoot"].as_bool(), Some(true), "{what}");
    assert_eq!(sc["runAsUser"].as_i64(), Some(uid), "{what}");
    assert_eq!(sc["runAsGroup"].as_i64(), Some(gid), "{what}");
    assert_eq!(pod["automountServiceAccountToken"].as_bool(), Some(false));
    let containers = list(&pod["containers"]);
    assert_eq!(containers.len(), 1, "{what}");
    let c = &containers[0];
    assert!(
        c["command"].is_badvalue(),
        "{what}: the image's ENTRYPOINT runs"
    );
    let csc = &c["securityContext"];
    assert_eq!(
        csc["readOnlyRootFilesystem"].as_bool(),
        Some(true),
        "{what}"
    );
    assert_eq!(
        csc["allowPrivilegeEscalation"].as_bool(),
        Some(false),
        "{what}"
    );
    assert_eq!(
        list(&csc["capabilities"]["drop"]).first().map(s),
        Some("ALL")
    );
    let args: Vec<String> = list(&c["args"]).iter().map(|a| s(a).to_string()).collect();
    let root = &args[1];
    let mounts = list(&c["volumeMounts"]);
    let volumes = list(&pod["volumes"]);
    let volume = |name: &str| {
        volumes
            .iter()
            .find(|v| s(&v["name"]) == name)
            .unwrap_or_else(|| panic!("{what}: no volume {name}"))
    };
    let mount_at = |path: &str| {
        mounts
            .iter()
            .find(|m| s(&m["mountPath"]) == path)
            .unwrap_or_else(|| panic!("{what}: nothing mounted at {path}"))
    };
    let storage = mount_at(root);
    assert_eq!(
        storage["readOnly"].as_bool(),
        Some(true),
        "{what}: rootDir read-only"
    );
    let claim = &volume(s(&storage["name"]))["persistentVolumeClaim"];
    assert_eq!(
        claim["readOnly"].as_bool(),
        Some(true),
        "{what}: claim read-only"
    );
    // The trust material from ConfigMaps, where the rootDir's links lead.
    for (_, target) in TRUST_LINKS {
        let m = mounts
            .iter()
            .find(|m| target.starts_with(s(&m["mountPath"])))
            .unwrap_or_else(|| panic!("{what}: nothing mounted where {target} is"));
        assert_eq!(m["readOnly"].as_bool(), Some(true), "{what}: {target}");
        assert!(
            volume(s(&m["name"]))["configMap"]["name"]
                .as_str()
                .is_some(),
            "{what}: {target} from a ConfigMap"
        );
    }
    // Every folder sigaudit writes to is on a volume (the root filesystem is read-only): the
    // mount is the folder or one above it (`/reports/shards/$(JOB_COMPLETION_INDEX)`).
    for flag in ["--out", "--cache"] {
        if let Some(i) = args.iter().position(|a| a == flag) {
            let m = mounts
                .iter()
                .filter(|m| Path::new(&args[i + 1]).starts_with(s(&m["mountPath"])))
                .max_by_key(|m| s(&m["mountPath"]).len())
                .unwrap_or_else(|| panic!("{what}: {flag} {} on no volume", args[i + 1]));
            assert_ne!(
                m["readOnly"].as_bool(),
                Some(true),
                "{what}: {flag} writable"
            );
        }
    }
    args
}

/// The trust material of the demo as the two ConfigMaps of the examples hold it: the cosign
/// keys under names a ConfigMap accepts, and the notation files at the paths of `items`.
fn configmap_files(volume: &Yaml) -> BTreeMap<String, Vec<u8>> {
    let name = s(&volume["configMap"]["name"]);
    let mut files = BTreeMap::new();
    match name {
        "sigaudit-cosign" => {
            assert!(
                volume["configMap"]["items"].is_badvalue(),
                "every key a file"
            );
            let mut keys: Vec<PathBuf> = std::fs::read_dir(demo().join("_cosign"))
                .expect("read")
                .map(|e| e.expect("entry").path())
                .collect();
            keys.sort();
            for (i, k) in keys.iter().enumerate() {
                files.insert(format!("key-{i}.pub"), std::fs::read(k).expect("key"));
            }
        }
        "sigaudit-notation" => {
            for item in list(&volume["configMap"]["items"]) {
                let path = s(&item["path"]);
                let bytes = if path == "_notation/trustpolicy.json" {
                    std::fs::read(demo().join(path)).expect("policy")
                } else {
                    // _notation/truststore/x509/<type>/<store>/<file>: the demo's certificates
                    // of that store in one PEM file.
                    let store = Path::new(path).parent().expect("store folder");
                    assert!(store.starts_with("_notation/truststore/x509"), "{path}");
                    let mut certs: Vec<PathBuf> = std::fs::read_dir(demo().join(store))
                        .expect("demo store")
                        .map(|e| e.expect("entry").path())
                        .collect();
                    certs.sort();
                    certs
                        .iter()
                        .flat_map(|c| std::fs::read(c).expect("cert"))
                        .collect()
                };
                files.insert(path.to_string(), bytes);
            }
        }
        other => panic!("unknown ConfigMap {other}"),
    }
    files
}

/// Lays out a ConfigMap volume at `mount` as the kubelet does: the files in a timestamped
/// folder, `..data` linking to it, each top-level name linking into `..data`.
fn project_configmap(mount: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let stamp = "..2026_12_07_18_00_00.123456789";
    for (path, bytes) in files {
        let file = mount.join(stamp).join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(file, bytes).expect("write");
    }
    std::os::unix::fs::symlink(stamp, mount.join("..data")).expect("link");
    let top: BTreeSet<&str> = files
        .keys()
        .map(|p| p.split('/').next().expect("name"))
        .collect();
    for name in top {
        std::os::unix::fs::symlink(format!("..data/{name}"), mount.join(name)).expect("link");
    }
}

/// How the trust material reaches the rootDir.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Trust {
    /// As the examples say: ConfigMaps mounted outside, [`TRUST_LINKS`] in the rootDir.
    Linked,
    /// The mistake the examples warn of: each ConfigMap mounted at the trust folder itself
    /// (the notation items without their `_notation/` prefix).
    MountedInPlace,
}

/// A copy of the demo whose `_cosign` and `_notation` are the example's ConfigMap volumes;
/// returns the container arguments with the example's folders replaced by the tempdir's.
fn lay_out(pod: &Yaml, args: &[String], dir: &Path, how: Trust) -> Vec<String> {
    let root = dir.join("registry");
    common::copy_tree(&demo(), &root);
    std::fs::remove_dir_all(root.join("_cosign")).expect("rm");
    std::fs::remove_dir_all(root.join("_notation")).expect("rm");
    let volumes = list(&pod["volumes"]);
    let mounts = list(&pod["containers"][0]["volumeMounts"]);
    // Where the pod's absolute paths are in the tempdir.
    let here = |p: &str| dir.join("mounts").join(p.trim_start_matches('/'));
    let mut projected = 0;
    for m in mounts {
        let v = volumes
            .iter()
            .find(|v| s(&v["name"]) == s(&m["name"]))
            .expect("volume");
        if v["configMap"].is_badvalue() {
            continue;
        }
        let files = configmap_files(v);
        let mount = match how {
            Trust::Linked => here(s(&m["mountPath"])),
            Trust::MountedInPlace => {
                let folder = if s(&v["configMap"]["name"]) == "sigaudit-cosign" {
                    "_cosign"
                } else {
                    "_notation"
                };
                root.join(folder)
            }
        };
        let files = match how {
            Trust::MountedInPlace => files
                .into_iter()
                .map(|(k, v)| (k.trim_start_matches("_notation/").to_string(), v))
                .collect(),
            Trust::Linked => files,
        };
        std::fs::create_dir_all(&mount).expect("mkdir");
        project_configmap(&mount, &files);
        projected += 1;
    }
    assert_eq!(projected, 2);
    if how == Trust::Linked {
        for (name, target) in TRUST_LINKS {
            std::os::unix::fs::symlink(here(target), root.join(name)).expect("link");
        }
    }
    let mut args = args.to_vec();
    args[1] = root.display().to_string();
    for flag in ["--out", "--cache"] {
        if let Some(i) = args.iter().position(|a| a == flag) {
            args[i + 1] = dir.join(flag.trim_start_matches('-')).display().to_string();
        }
    }
    args
}

#[test]
fn cronjob_trusts_through_configmap_links_and_fails_the_job_when_fail_on_trips() {
    let cron = yaml("deploy/kubernetes/cronjob.yaml");
    assert_eq!(s(&cron["kind"]), "CronJob");
    assert_eq!(s(&cron["spec"]["concurrencyPolicy"]), "Forbid");
    let job = &cron["spec"]["jobTemplate"]["spec"];
    // Exit 1 fails the Pod, and the failed Pod fails the Job: no restart, no retry.
    assert_eq!(job["backoffLimit"].as_i64(), Some(0));
    let pod = &job["template"]["spec"];
    assert_eq!(s(&pod["restartPolicy"]), "Never");
    let args = check_pod(pod, "cronjob");
    assert_eq!(args[0], "scan");
    let fail_on = args
        .iter()
        .position(|a| a == "--fail-on")
        .expect("--fail-on");
    assert_ne!(args[fail_on + 1], "never");
    assert!(args.iter().any(|a| a.split(',').any(|f| f == "prometheus")));

    // The comment tells how to make the links the test makes.
    let text = read("deploy/kubernetes/cronjob.yaml");
    for (name, target) in TRUST_LINKS {
        assert!(
            text.contains(&format!("ln -s {target} <rootDir>/{name}")),
            "{name}"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ours = lay_out(pod, &args, dir.path(), Trust::Linked);
    ours.extend(["--as-of".to_string(), "2026-11-23T00:00:00Z".to_string()]);
    let run = sigaudit(&ours, dir.path());
    assert_eq!(
        run.status.code(),
        Some(1),
        "the Job fails: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let projected = report(&dir.path().join("out"));
    // The control: the demo with its trust material as plain files, the same arguments.
    let control_out = dir.path().join("control");
    let mut control = ours.clone();
    control[1] = demo().display().to_string();
    let i = control.iter().position(|a| a == "--out").expect("--out");
    control[i + 1] = control_out.display().to_string();
    let run = sigaudit(&control, dir.path());
    assert_eq!(run.status.code(), Some(1));
    let plain = report(&control_out);
    assert_eq!(verdicts(&projected), verdicts(&plain));
    assert_eq!(
        projected["summary"]["trustedImages"],
        plain["summary"]["trustedImages"]
    );
    // Both kinds of trust material were read through the links: a cosign and a notation
    // signature are trusted.
    for tool in ["cosign", "notation"] {
        assert!(
            projected["images"]
                .as_array()
                .expect("images")
                .iter()
                .flat_map(|i| i["signatures"].as_array().expect("signatures"))
                .any(|sig| sig["tool"] == tool && sig["trusted"] == true),
            "no trusted {tool} signature"
        );
    }
    let findings = projected["findings"].as_array().expect("findings");
    assert!(
        findings.iter().all(|f| f["code"] != "unsafe-link"),
        "{findings:?}"
    );

    // The mistake the comment warns of: the notation ConfigMap mounted at _notation leaves
    // trustpolicy.json a link, which notation refuses; no notation signature is trusted, the
    // finding names the file, and the cosign keys (links to regular files) still verify.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wrong = lay_out(pod, &args, dir.path(), Trust::MountedInPlace);
    wrong.extend(["--as-of".to_string(), "2026-11-23T00:00:00Z".to_string()]);
    let run = sigaudit(&wrong, dir.path());
    assert_eq!(run.status.code(), Some(1));
    let r = report(&dir.path().join("out"));
    let signatures: Vec<&Value> = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .flat_map(|i| i["signatures"].as_array().expect("signatures"))
        .collect();
    assert!(
        signatures
            .iter()
            .filter(|sig| sig["tool"] == "notation")
            .all(|sig| sig["trusted"] == false && sig["code"] == "invalid-trust-policy")
    );
    assert!(
        signatures
            .iter()
            .any(|sig| sig["tool"] == "cosign" && sig["trusted"] == true)
    );
    assert!(
        r["findings"].as_array().expect("findings").iter().any(|f| {
            f["path"] == "_notation/trustpolicy.json"
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("symlinks are not supported"))
        }),
        "{}",
        r["findings"]
    );
}

/// `$(NAME)` in a container argument, expanded as the kubelet does from `vars`.
fn expand(arg: &str, vars: &[(&str, &str)]) -> String {
    let mut out = arg.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("$({name})"), value);
    }
    assert!(!out.contains("$("), "unexpanded variable in {arg}");
    out
}

/// The environment variable `name` of the Pod's container, as its `valueFrom` says it.
fn env_from<'a>(pod: &'a Yaml, name: &str) -> &'a Yaml {
    let c = &pod["containers"][0];
    let var = list(&c["env"])
        .iter()
        .find(|e| s(&e["name"]) == name)
        .unwrap_or_else(|| panic!("no env {name}"));
    &var["valueFrom"]
}

/// The Indexed Job of shards: N completions, N Pods at once, each `--shard
/// $(JOB_COMPLETION_INDEX)/N`, the same `--as-of` for all from a ConfigMap, the cluster's
/// hashKey from a Secret as $SIGAUDIT_SHARD_KEY, each report in its own folder of the shared
/// volume. Run on the demo laid out as the kubelet would, the shards together audit every image
/// of a full scan with the same arguments, each once, with the same verdict.
#[test]
fn sharded_job_audits_every_image_once_across_its_indexes() {
    let job = yaml("deploy/kubernetes/sharded-job.yaml");
    assert_eq!(s(&job["kind"]), "Job");
    let spec = &job["spec"];
    assert_eq!(s(&spec["completionMode"]), "Indexed");
    let n = spec["completions"].as_i64().expect("completions");
    assert!(n > 1);
    assert_eq!(spec["parallelism"].as_i64(), Some(n));
    let pod = &spec["template"]["spec"];
    assert_eq!(s(&pod["restartPolicy"]), "Never");
    let args = check_pod(pod, "sharded job");
    assert_eq!(args[0], "scan");
    let flag = |name: &str| {
        let i = args
            .iter()
            .position(|a| a == name)
            .unwrap_or_else(|| panic!("{name}"));
        args[i + 1].clone()
    };
    assert_eq!(flag("--shard"), format!("$(JOB_COMPLETION_INDEX)/{n}"));
    assert_eq!(flag("--as-of"), "$(AS_OF)");
    assert!(
        flag("--out").contains("$(JOB_COMPLETION_INDEX)"),
        "one folder per shard"
    );
    assert!(flag("--format").split(',').any(|f| f == "json"));
    assert_eq!(
        s(&env_from(pod, "AS_OF")["configMapKeyRef"]["name"]),
        "sigaudit-run"
    );
    assert_eq!(
        s(&env_from(pod, "SIGAUDIT_SHARD_KEY")["secretKeyRef"]["key"]),
        "hashKey"
    );
    // A failed audit is not retried (the same storage gives the same answer), the Job fails.
    let rule = &list(&spec["podFailurePolicy"]["rules"])[0];
    assert_eq!(s(&rule["action"]), "FailIndex");
    assert_eq!(spec["maxFailedIndexes"].as_i64(), Some(0));

    let dir = tempfile::tempdir().expect("tempdir");
    let laid = lay_out(pod, &args, dir.path(), Trust::Linked);
    let key = "loremipsumdolors";
    let as_of = "2026-11-23T00:00:00Z";
    let mut seen: BTreeMap<(String, String, String), String> = BTreeMap::new();
    for index in 0..n {
        let i = index.to_string();
        let vars = [("JOB_COMPLETION_INDEX", i.as_str()), ("AS_OF", as_of)];
        let mut ours: Vec<String> = laid.iter().map(|a| expand(a, &vars)).collect();
        let o = ours.iter().position(|a| a == "--out").expect("--out");
        let out = dir.path().join("shards").join(&i);
        ours[o + 1] = out.display().to_string();
        let run = Process::new(BIN)
            .args(&ours)
            .current_dir(dir.path())
            .env_remove("SIGAUDIT_CONFIG")
            .env("SIGAUDIT_SHARD_KEY", key)
            .output()
            .expect("run");
        assert_eq!(
            run.status.code(),
            Some(0),
            "shard {i}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let r = report(&out);
        assert_eq!(r["shard"]["index"].as_i64(), Some(index));
        assert_eq!(r["shard"]["key"], "--shard-key");
        assert_eq!(r["asOf"], as_of);
        for img in r["images"].as_array().expect("images") {
            let k = (
                s_json(&img["repository"]),
                s_json(&img["digest"]),
                img["parent"].to_string(),
            );
            assert!(
                seen.insert(k.clone(), s_json(&img["status"])).is_none(),
                "{k:?} in two shards"
            );
        }
    }
    // The control: the same arguments without --shard.
    let mut full: Vec<String> = Vec::new();
    let mut skip = false;
    for a in &laid {
        if skip {
            skip = false;
            continue;
        }
        if a == "--shard" {
            skip = true;
            continue;
        }
        full.push(expand(
            a,
            &[("JOB_COMPLETION_INDEX", "full"), ("AS_OF", as_of)],
        ));
    }
    let o = full.iter().position(|a| a == "--out").expect("--out");
    full[o + 1] = dir.path().join("full").display().to_string();
    let run = sigaudit(&full, dir.path());
    assert_eq!(run.status.code(), Some(0));
    let whole: BTreeMap<(String, String, String), String> =
        report(&dir.path().join("full"))["images"]
            .as_array()
            .expect("images")
            .iter()
            .map(|img| {
                (
                    (
                        s_json(&img["repository"]),
                        s_json(&img["digest"]),
                        img["parent"].to_string(),
                    ),
                    s_json(&img["status"]),
                )
            })
            .collect();
    assert!(!whole.is_empty());
    assert_eq!(seen, whole);

    // The merge Job: one file per index, read from the shared volume, merged reports beside.
    let merge_job = yaml("deploy/kubernetes/merge-job.yaml");
    assert_eq!(merge_job["spec"]["backoffLimit"].as_i64(), Some(0));
    let merge_pod = &merge_job["spec"]["template"]["spec"];
    assert_eq!(s(&merge_pod["restartPolicy"]), "Never");
    let c = &merge_pod["containers"][0];
    let margs: Vec<String> = list(&c["args"]).iter().map(|a| s(a).to_string()).collect();
    assert_eq!(margs[0], "merge");
    let files: Vec<&String> = margs.iter().filter(|a| a.ends_with(".json")).collect();
    let want: Vec<String> = (0..n)
        .map(|i| format!("/reports/shards/{i}/report.json"))
        .collect();
    assert_eq!(files, want.iter().collect::<Vec<_>>(), "every index once");
    let mount = list(&c["volumeMounts"])
        .iter()
        .find(|m| s(&m["mountPath"]) == "/reports")
        .expect("the shared volume at /reports");
    assert_eq!(
        s(&list(&merge_pod["volumes"])
            .iter()
            .find(|v| s(&v["name"]) == s(&mount["name"]))
            .expect("volume")["persistentVolumeClaim"]["claimName"]),
        s(&list(&pod["volumes"])
            .iter()
            .find(|v| s(&v["name"]) == "reports")
            .expect("volume")["persistentVolumeClaim"]["claimName"]),
        "the shards' claim"
    );
    let here: Vec<String> = margs
        .iter()
        .map(|a| a.replace("/reports", &dir.path().display().to_string()))
        .collect();
    let run = sigaudit(&here, dir.path());
    // The demo has images that fail the built-in rule: --fail-on violations fails the Job.
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let merged = report(&dir.path().join("merged"));
    assert_eq!(merged["merged"]["count"].as_i64(), Some(n));
    let statuses: BTreeMap<(String, String, String), String> = merged["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|img| {
            (
                (
                    s_json(&img["repository"]),
                    s_json(&img["digest"]),
                    img["parent"].to_string(),
                ),
                s_json(&img["status"]),
            )
        })
        .collect();
    assert_eq!(statuses, whole);
    for f in ["report.json", "report.csv", "report.html", "report.prom"] {
        assert!(dir.path().join("merged").join(f).is_file(), "{f}");
    }
}

fn s_json(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

/// Every manifest under deploy/kubernetes passes a Kubernetes schema check (the
/// `kubernetes-validate` PyPI package, which bundles the API's OpenAPI schemas; `--strict`
/// rejects unknown fields); the control, a misspelt field, is rejected.
#[test]
fn kubernetes_manifests_pass_the_api_schemas() {
    let have = Process::new("python3")
        .args(["-c", "import kubernetes_validate"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true but the kubernetes-validate Python package is missing: .ci/run installs it"
            );
        }
        eprintln!("skipping: python3 -m pip install kubernetes-validate");
        return;
    }
    let validate = |file: &Path| {
        let out = Process::new("python3")
            .args(["-m", "kubernetes_validate", "--strict", "--no-warn"])
            .arg(file)
            .output()
            .expect("python3");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let dir = project_file("deploy/kubernetes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("deploy/kubernetes")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for f in &files {
        let (ok, out) = validate(f);
        assert!(ok && out.contains("passed"), "{}: {out}", f.display());
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(
        &bad,
        read("deploy/kubernetes/sharded-job.yaml").replace("completionMode:", "completionMod:"),
    )
    .expect("write");
    let (ok, out) = validate(&bad);
    assert!(!ok && out.contains("completionMod"), "{out}");
}

#[test]
fn watch_deployment_runs_its_arguments_and_stops_cleanly_on_sigterm() {
    let deployment = yaml("deploy/kubernetes/watch-deployment.yaml");
    assert_eq!(s(&deployment["kind"]), "Deployment");
    assert_eq!(deployment["spec"]["replicas"].as_i64(), Some(1));
    assert_eq!(s(&deployment["spec"]["strategy"]["type"]), "Recreate");
    let pod = &deployment["spec"]["template"]["spec"];
    let args = check_pod(pod, "watch deployment");
    assert_eq!(args[0], "watch");
    // The same trust material as the CronJob.
    let cron = yaml("deploy/kubernetes/cronjob.yaml");
    let cron_pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let config_maps = |pod: &Yaml| -> Vec<Yaml> {
        list(&pod["volumes"])
            .iter()
            .filter(|v| !v["configMap"].is_badvalue())
            .cloned()
            .collect()
    };
    assert_eq!(config_maps(pod), config_maps(cron_pod));

    let dir = tempfile::tempdir().expect("tempdir");
    let ours = lay_out(pod, &args, dir.path(), Trust::Linked);
    let mut child = Sigaudit::new()
        .args(&ours)
        .current_dir(dir.path())
        .verbatim()
        .std_command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("watch");
    let prom = dir.path().join("out/report.prom");
    let start = Instant::now();
    while !prom.exists() {
        if start.elapsed() > Duration::from_secs(60) || child.try_wait().expect("wait").is_some() {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "no report.prom from the watch: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let kill = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let out = child.wait_with_output().expect("output");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&dir.path().join("out"));
    assert!(r["summary"]["trustedImages"].as_u64().expect("count") > 0);
    assert!(dir.path().join("cache").is_dir(), "--cache used");
}

// ---------------------------------------------------------------------------------------------
// CI

fn gate(root: &Path, out: &Path, args: &str) -> std::process::Output {
    Process::new("sh")
        .arg(project_file("deploy/ci/sigaudit-gate.sh"))
        .arg(root)
        .arg(out)
        .env("SIGAUDIT", BIN)
        .env("SIGAUDIT_ARGS", args)
        .env_remove("SIGAUDIT_FAIL_ON")
        .env_remove("SIGAUDIT_CONFIG")
        .current_dir(out.parent().expect("parent"))
        .output()
        .expect("sh")
}

#[test]
fn ci_gate_fails_the_pipeline_on_the_demo_and_passes_a_compliant_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("demo");
    let run = gate(&demo(), &out, "--no-config --as-of 2026-11-23T00:00:00Z");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--fail-on violations tripped"), "{stderr}");
    for f in [
        "report.json",
        "report.html",
        "report.junit.xml",
        "report.sarif",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let r = report(&out);
    assert!(r["compliance"]["fail"].as_u64().expect("fail") > 0);
    // The control: every image of hostile-strings is validly signed; the step passes.
    let out = dir.path().join("compliant");
    let run = gate(
        &project_file("fixtures/hostile-strings"),
        &out,
        "--no-config --as-of 2026-02-01T00:00:00Z",
    );
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(report(&out)["compliance"]["fail"], 0);
    // A rootDir that is not there fails the step with sigaudit's own status.
    let run = gate(&dir.path().join("missing"), &dir.path().join("m"), "");
    assert_eq!(run.status.code(), Some(3));
    // The pipeline examples call the script.
    for rel in ["deploy/ci/gitlab-ci.yml", "deploy/ci/github-actions.yml"] {
        let docs = YamlLoader::load_from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(docs.len(), 1);
        assert!(read(rel).contains("sh deploy/ci/sigaudit-gate.sh"), "{rel}");
    }
}

#[test]
fn shell_scripts_parse() {
    for rel in ["deploy/ci/sigaudit-gate.sh", "deploy/container/rootfs.sh"] {
        for shell in ["sh", "bash"] {
            let Some(program) = common::tool(shell) else {
                continue;
            };
            let out = Process::new(program)
                .arg("-n")
                .arg(project_file(rel))
                .output()
                .expect("shell");
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{shell} -n {rel}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Container image

/// The Dockerfile's instructions (continuation lines joined, comments dropped), per stage.
fn dockerfile_stages() -> Vec<Vec<(String, String)>> {
    let mut stages: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let mut pending = String::new();
    for line in read("Dockerfile").lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && pending.is_empty()) {
            continue;
        }
        if let Some(l) = line.strip_suffix('\\') {
            pending.push_str(l);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let (op, rest) = pending
            .split_once(' ')
            .map(|(o, r)| (o.to_uppercase(), r.trim().to_string()))
            .unwrap_or_else(|| (pending.to_uppercase(), String::new()));
        if op == "FROM" {
            stages.push(Vec::new());
        }
        stages.last_mut().expect("stage").push((op, rest));
        pending.clear();
    }
    stages
}

#[test]
fn dockerfile_is_multi_stage_scratch_non_root_and_needs_no_shell() {
    let stages = dockerfile_stages();
    let froms: Vec<&str> = stages
        .iter()
        .filter_map(|st| st.first())
        .filter(|(op, _)| op == "FROM")
        .map(|(_, r)| r.as_str())
        .collect();
    assert!(froms.len() >= 3, "{froms:?}");
    assert!(froms.iter().any(|f| f.ends_with(" AS build")), "{froms:?}");
    let last = stages.last().expect("final stage");
    assert_eq!(last[0], ("FROM".to_string(), "scratch".to_string()));
    let ops: Vec<&str> = last.iter().map(|(op, _)| op.as_str()).collect();
    // Nothing runs while building the final stage: it has no shell.
    assert!(!ops.contains(&"RUN") && !ops.contains(&"SHELL"), "{ops:?}");
    let (uid, gid) = dockerfile_user();
    assert!(uid > 0 && gid > 0);
    assert_eq!(
        last.iter().filter(|(op, _)| op == "USER").count(),
        1,
        "USER in the final stage"
    );
    let entry = &last
        .iter()
        .find(|(op, _)| op == "ENTRYPOINT")
        .expect("ENTRYPOINT")
        .1;
    let entry: Vec<String> = serde_json::from_str(entry).expect("ENTRYPOINT in exec (JSON) form");
    assert_eq!(entry, vec!["/usr/local/bin/sigaudit".to_string()]);
    // Every COPY of the final stage comes from another stage.
    for (op, rest) in last {
        if op == "COPY" {
            assert!(rest.starts_with("--from="), "{rest}");
        }
    }
    // The build context leaves target/ out but for the prebuilt root filesystem.
    let ignore = read(".dockerignore");
    assert!(ignore.lines().any(|l| l == "target"));
    assert!(ignore.lines().any(|l| l == "!target/container-rootfs"));
}

/// The OCI runtime podman runs containers with here: $SIGAUDIT_OCI_RUNTIME, else runc when
/// installed (crun refuses this machine's hybrid cgroup layout), else podman's default.
fn oci_runtime() -> Vec<String> {
    match std::env::var("SIGAUDIT_OCI_RUNTIME") {
        Ok(r) if !r.is_empty() => vec!["--runtime".into(), r],
        _ => match common::tool("runc") {
            Some(r) => vec!["--runtime".into(), r.display().to_string()],
            None => Vec::new(),
        },
    }
}

#[test]
fn container_image_audits_the_demo_read_only_as_non_root() {
    let Some(podman) = common::tool("podman") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = dir.path().join("context");
    std::fs::create_dir_all(ctx.join("target")).expect("mkdir");
    let rootfs = Process::new("sh")
        .arg(project_file("deploy/container/rootfs.sh"))
        .arg(BIN)
        .arg(ctx.join("target/container-rootfs"))
        .output()
        .expect("rootfs.sh");
    assert!(
        rootfs.status.success(),
        "{}",
        String::from_utf8_lossy(&rootfs.stderr)
    );
    std::fs::copy(project_file(".dockerignore"), ctx.join(".dockerignore")).expect("copy");
    let tag = "localhost/sigaudit-test:1";
    // An image store of the test's own, in its tempdir: nothing is left in the machine's store
    // (the build's stage images included), and parallel runs do not meet.
    let storage = dir.path().join("storage");
    let podman = || {
        let mut p = Process::new(&podman);
        p.arg("--root")
            .arg(&storage)
            .arg("--runroot")
            .arg(dir.path().join("runroot"));
        p
    };
    struct Cleanup<F: FnMut()>(F);
    impl<F: FnMut()> Drop for Cleanup<F> {
        fn drop(&mut self) {
            (self.0)();
        }
    }
    let _cleanup = Cleanup(|| {
        let _ = podman().args(["rmi", "--all", "--force"]).output();
    });
    let build = podman()
        .args([
            "build",
            "--quiet",
            "--build-arg",
            "BINARY_FROM=prebuilt",
            "-t",
            tag,
            "-f",
        ])
        .arg(project_file("Dockerfile"))
        .arg(&ctx)
        .output()
        .expect("podman build");
    assert!(
        build.status.success(),
        "podman build: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let inspect = podman()
        .args(["image", "inspect", "--format", "{{json .Config}}", tag])
        .output()
        .expect("inspect");
    let config: Value = serde_json::from_slice(&inspect.stdout).expect("config JSON");
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/usr/local/bin/sigaudit"])
    );

    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    // The container's user must be able to write the mounted output folder.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let run = |extra: &[&str]| {
        podman()
            .arg("run")
            .args(oci_runtime())
            .args(["--rm", "--read-only", "--network=none"])
            // Lowered, never raised: this machine grants no CAP_SYS_RESOURCE, and podman's
            // default limits are above the current ones.
            .args([
                "--ulimit",
                "nofile=4096:4096",
                "--ulimit",
                "nproc=4096:4096",
            ])
            .arg("-v")
            .arg(format!("{}:/data:ro", demo().display()))
            .arg("-v")
            .arg(format!("{}:/out", out.display()))
            .args(extra)
            .output()
            .expect("podman run")
    };
    let scan = |fail_on: &str| {
        let mut args = vec![tag, "scan", "/data", "--out", "/out"];
        args.extend([
            "--format",
            "json,prometheus",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--fail-on",
            fail_on,
        ]);
        run(&args)
    };
    let failed = scan("untrusted");
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let passed = scan("never");
    assert_eq!(
        passed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&passed.stderr)
    );
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(out.join("report.json")).expect("report.json");
    assert_eq!(
        (meta.uid(), meta.gid()),
        (65532, 65532),
        "written as non-root"
    );
    let inside = report(&out);
    // The same audit as the binary outside the container.
    let host_out = dir.path().join("host");
    let host = sigaudit(
        &[
            "scan".into(),
            demo().display().to_string(),
            "--out".into(),
            host_out.display().to_string(),
            "--format".into(),
            "json".into(),
            "--as-of".into(),
            "2026-11-23T00:00:00Z".into(),
        ],
        dir.path(),
    );
    assert!(host.status.success());
    assert_eq!(verdicts(&inside), verdicts(&report(&host_out)));
    assert!(out.join("report.prom").is_file());
    // No shell in the image.
    let shell = run(&["--entrypoint", "/bin/sh", tag, "-c", "true"]);
    assert!(!shell.status.success(), "the image has a shell");
}
