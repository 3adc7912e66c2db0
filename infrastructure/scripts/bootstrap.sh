#!/usr/bin/env bash
# Creates or updates every virtualenv from the pinned requirements, the frontend's node_modules
# from its lock, and installs chromium (the frontend e2e tests' browser) when missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap
ensure_chromium
