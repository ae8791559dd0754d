#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 / Raspberry Pi OS / Ubuntu machine: Debian packages (as root),
# a virtual environment with the package and its test extras, then ruff and pytest. Arguments go to pytest.
#   bash scripts/test.sh                 # everything (what CI runs)
#   bash scripts/test.sh -m "not slow"   # the quick part
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
source "$repo/scripts/lib.sh"
cd "$repo"

apt_install "${RUNTIME_PACKAGES[@]}" "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" || true

venv=${ASSISTANT_TEST_VENV:-$repo/.venv}
if [ ! -x "$venv/bin/python" ]; then
    log "creating the virtual environment $venv"
    python3 -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --upgrade pip wheel
wheel=$(llama_wheel portable "-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" "$py")
log "installing the package with all engines and test tools"
"$py" -m pip install --quiet "$wheel"
"$py" -m pip install --quiet -e "${repo}[all,plot,test]"

# The real models and recordings live beside the repository (never inside it).
shared=${ASSISTANT_SHARED:-$repo/../shared}
export ASSISTANT_SHARED_MODELS=${ASSISTANT_SHARED_MODELS:-$shared/models}
export ASSISTANT_SHARED_AUDIO=${ASSISTANT_SHARED_AUDIO:-$shared/audio}
export ASSISTANT_SHARED_SCENARIOS=${ASSISTANT_SHARED_SCENARIOS:-$shared/scenarios}
# On CI a missing shared folder is a failure, not a skip.
if [ "${CI:-}" = "true" ]; then export ASSISTANT_REQUIRE_SHARED=1; fi
# Generated stand-in models are cached across runs (they take a while to write).
export ASSISTANT_STANDIN_CACHE=${ASSISTANT_STANDIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/assistant/standins}

log "ruff"
"$venv/bin/ruff" check assistant tests
log "pytest"
exec "$py" -m pytest --durations=15 "$@"
