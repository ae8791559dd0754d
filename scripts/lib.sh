# shellcheck shell=bash
# shellcheck disable=SC2034  # the package lists are used by the scripts that source this file
# Shared by install.sh and test.sh: the Debian packages the assistant needs, and the llama-cpp-python wheel cache.

# Runtime: PortAudio (sounddevice, pyaudio), Speex DSP (echo canceller), espeak-ng (zero-download voice, Piper's
# phonemizer), libsndfile (soundfile), ALSA utilities and plugins, and the CA certificates that `assistant models
# pull` checks the download servers against.
RUNTIME_PACKAGES=(libportaudio2 libspeexdsp1 espeak-ng libespeak-ng1 libsndfile1 alsa-utils libasound2-plugins
    ca-certificates)
# Building: venv, compilers and headers for llama-cpp-python (cmake) and pyaudio (portaudio19-dev).
BUILD_PACKAGES=(python3 python3-venv python3-dev build-essential cmake git portaudio19-dev libspeexdsp-dev pkg-config)
# Tests only: a private PulseAudio server for real-time audio tests, sox, shellcheck, systemd-analyze, debootstrap.
TEST_PACKAGES=(pulseaudio pulseaudio-utils sox shellcheck systemd debootstrap)

# The llama-cpp-python version whose wheel is built once per machine and reused.
LLAMA_CPP_VERSION=0.3.36

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# missing_packages PKG...: prints the Debian packages of the list that are not installed, one per line.
missing_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || printf '%s\n' "$pkg"
    done
}

# apt_install PKG...: installs the packages that are missing (as root), or says what to install.
apt_install() {
    local missing=()
    mapfile -t missing < <(missing_packages "$@")
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        log "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
        return 1
    fi
    log "installing Debian packages: ${missing[*]}"
    # The package lists may be stale or absent on a fresh machine.
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# llama_wheel FLAVOUR CMAKE_ARGS: prints the path of a cached llama-cpp-python wheel, building it once if needed.
# pip's own wheel cache ignores CMAKE_ARGS (a -march=native build can die with an illegal instruction on another
# CPU), so the wheels live in a folder of their own, one per flavour of build flags, built with --no-cache-dir.
llama_wheel() {
    local flavour=$1 cmake_args=$2 python=${3:-python3}
    local cache="${ASSISTANT_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/assistant/wheels}/$flavour"
    local wheel
    wheel=$(find "$cache" -maxdepth 1 -name "llama_cpp_python-${LLAMA_CPP_VERSION}-*.whl" 2>/dev/null | head -n 1)
    if [ -z "$wheel" ]; then
        log "building llama-cpp-python ${LLAMA_CPP_VERSION} ($flavour: $cmake_args); this takes several minutes, once"
        mkdir -p "$cache"
        CMAKE_ARGS="$cmake_args" FORCE_CMAKE=1 "$python" -m pip wheel --quiet --no-deps --no-cache-dir \
            -w "$cache" "llama-cpp-python==${LLAMA_CPP_VERSION}" >&2
        wheel=$(find "$cache" -maxdepth 1 -name "llama_cpp_python-${LLAMA_CPP_VERSION}-*.whl" | head -n 1)
    fi
    [ -n "$wheel" ] || { log "llama-cpp-python wheel build failed"; return 1; }
    printf '%s\n' "$wheel"
}
