#!/usr/bin/env bash
# Creates or updates every virtualenv from the pinned requirements.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap
