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
