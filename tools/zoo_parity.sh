#!/usr/bin/env bash
# The zoo's full-size parity with torchvision: exports torchvision's models (random weights, seed 0)
# and reference logits with tools/zoo_parity.py, then runs ZooParityCheck, which loads each state dict
# strictly into AutoProp's model and compares the evaluation and training logits and the logits after
# one SGD step. Needs Debian's python3-torch and python3-torchvision; several GB of heap for the big
# models.    tools/zoo_parity.sh [MODEL...]   (default: all of tools/zoo_parity.py's list)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${AUTOPROP_PARITY_DIR:-/tmp/autoprop-zoo-parity}"
/usr/bin/python3 tools/zoo_parity.py "$dir" "$@"
./mvnw -B -q -o test-compile
./mvnw -B -o surefire:test@default-test -Dtest=ZooParityCheck -Dsurefire.failIfNoSpecifiedTests=false \
  -Dautoprop.zoo.parity="$dir" | grep -E "parity|Tests run:|FAIL"
