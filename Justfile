# sigaudit developer recipes (https://github.com/casey/just). Every recipe is plain cargo.

# Audit the demo rootDir and write reports/report.{json,csv,html}.
run:
    cargo run --release -- scan fixtures/demo

# The test suite (the conformance tests read ../shared/vectors when present).
test:
    cargo test

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings

# Regenerate every committed fixture rootDir (deterministic: git diff stays empty).
fixtures:
    cargo run -p sigaudit-fixtures --example generate -- fixtures

# Everything CI runs.
ci:
    bash .ci/run

# Time one scan of a synthetic rootDir, its phases and its crypto floor; options go to the generator (e.g. `just bench --images 10000`).
bench *ARGS:
    bash bench/run.sh {{ARGS}}

# Is the scan linear in tags, index.json entries, referrers and signature layers? Time per item at each size (docs/performance.md).
bench-linear *SIZES:
    bash bench/linear.sh {{SIZES}}

# Time the refresh after one key is added to a synthetic rootDir of IMAGES images (default 10,000), in one process, and its peak RSS (docs/performance.md).
bench-incremental IMAGES="10000" FORMATS="json,csv,html":
    cargo run --release -p sigaudit-fixtures --example synth -- /tmp/sigaudit-r{{IMAGES}} --images {{IMAGES}} --force
    cargo run --release --example incremental -- /tmp/sigaudit-r{{IMAGES}} /tmp/sigaudit-r{{IMAGES}}.extra/extra-key.pub {{FORMATS}}

# Time a real `watch` on a synthetic rootDir (from bench-incremental or synth): the initial audit, the refresh after a key drop and after its removal, peak RSS (docs/performance.md).
bench-watch ROOT FORMATS="json,csv,html":
    cargo build --release --bin sigaudit
    bash bench/watch.sh {{ROOT}} {{FORMATS}}

# Seed and run every cargo-fuzz target for SECONDS each (default 600), two at a time (docs/fuzzing.md); needs nightly and cargo-fuzz.
fuzz SECONDS="600":
    bash fuzz/run.sh {{SECONDS}}

# Build the container image from a release binary built here; no base image is pulled (README: Deploy).
image:
    cargo build --release --locked
    sh deploy/container/rootfs.sh target/release/sigaudit target/container-rootfs
    podman build --build-arg BINARY_FROM=prebuilt -t sigaudit .

# Are every fixture scenario's reports byte-identical to those of REF (default: main)? Builds REF in a worktree under target/ (scripts/report-identity.sh).
report-identity REF="main":
    bash scripts/report-identity.sh {{REF}}
