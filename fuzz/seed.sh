#!/usr/bin/env bash
# Build the seed corpora (fuzz/corpus/<target>/, git-ignored) from the committed fixtures and,
# when present, the shared upstream vectors in ../shared/vectors beside the checkout.
set -euo pipefail
cd "$(dirname "$0")"
exec python3 seed.py
