#!/usr/bin/env bash
# The maker's one-command install: Debian packages, a system user, a virtual environment in /opt/assistant with
# the package, /etc/assistant/assistant.toml, the board's models and the systemd service. Run it as root from a
# checkout of the repository; running it again changes nothing (and says so), so it is also the update command.
#
#   sudo bash scripts/install.sh                          # everything, service started
#   sudo bash scripts/install.sh --models-from /media/usb # models from a folder (offline install)
#   sudo bash scripts/install.sh --no-service             # no service: run `assistant run` yourself
#   sudo bash scripts/install.sh --uninstall [--purge]    # remove it again
#
# Environment: ASSISTANT_WHEEL_CACHE (where the llama-cpp-python wheel is built once and reused, see lib.sh);
# ASSISTANT_INSTALL_ARCH replaces the detected Debian architecture, for the tests of the 32-bit refusal only.
set -Eeuo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
source "$repo/scripts/lib.sh"

PREFIX=/opt/assistant
VENV=$PREFIX/venv
STAMP=$VENV/.assistant-install  # what the venv was built from, so that an unchanged checkout is not reinstalled
COMMAND_LINK=/usr/local/bin/assistant
CONFIG_DIR=/etc/assistant
CONFIG=$CONFIG_DIR/assistant.toml
STATE_DIR=/var/lib/assistant
MODELS_DIR=$STATE_DIR/models
UNIT=/etc/systemd/system/assistant.service
SERVICE=assistant
USER_NAME=assistant
# Every profile's default models need all the engines; pyaudio is the alternative PortAudio binding.
EXTRAS=all
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

usage() {
    cat <<EOF
Usage: sudo bash scripts/install.sh [OPTIONS]

Installs the offline voice assistant on Raspberry Pi OS (64-bit), JetPack or any Debian/Ubuntu (arm64, x86_64):
Debian packages, the system user '$USER_NAME' (group audio), $VENV, the command $COMMAND_LINK,
$CONFIG (only if absent: your edits are kept), the board's models in $MODELS_DIR, and
the systemd service '$SERVICE'. A second run changes nothing unless the checkout changed.

Options:
  --profile pi4|pi5|jetson  model profile (default: detected from the board; other machines get pi4)
  --models-from DIR         take the models from a folder (USB stick, mirror) instead of downloading them
  --no-service              do not install or start the systemd service (run \`assistant run\` yourself)
  --uninstall               remove the service, $PREFIX and the command; keep config, models, user
  --purge                   with --uninstall: also remove $CONFIG_DIR, $STATE_DIR and the user
  -h, --help                this text
EOF
}

# ------------------------------------------------------------------------------------------------ steps
# Each step logs what it does; a step that had something to do records it, so the end can say "nothing changed".

current_step="arguments"
changes=()

step() {
    current_step=$1
    log "== $1"
}

done_now() {
    changes+=("$current_step: $1")
    log "   $1"
}

already() { log "   already $1"; }

reported=0
fail() {
    log "FAILED in step '$current_step': $*"
    reported=1
    exit 1
}

# A command that fails under set -e ends the script: say in which step and which command, so the maker knows
# where to look (the command's own message is just above). The ERR trap only remembers the command: it also
# runs inside $(...), where a failure may be expected.
failed_command=""
trap 'failed_command=$BASH_COMMAND' ERR
on_exit() {
    local status=$?
    if [ "$status" -ne 0 ] && [ "$reported" = 0 ]; then
        log "FAILED in step '$current_step' (exit $status)${failed_command:+: $failed_command}"
    fi
}
trap on_exit EXIT

usage_error() {
    printf 'install.sh: %s\nTry: bash scripts/install.sh --help\n' "$1" >&2
    reported=1
    exit 2
}

# ------------------------------------------------------------------------------------------- arguments

profile_override="" models_from="" no_service=0 uninstall=0 purge=0
# Set by the steps: python (3.11 or newer), detected_profile, profile, llama_flavour and llama_flags.
python="" detected_profile="" profile="" llama_flavour="" llama_flags=""
parse_arguments() {
    while [ $# -gt 0 ]; do
        case $1 in
            --profile)
                [ $# -ge 2 ] || usage_error "--profile needs a value: pi4, pi5 or jetson"
                case $2 in
                    pi4 | pi5 | jetson) profile_override=$2 ;;
                    *) usage_error "--profile $2: must be pi4, pi5 or jetson" ;;
                esac
                shift 2 ;;
            --models-from)
                [ $# -ge 2 ] || usage_error "--models-from needs a folder"
                [ -d "$2" ] || usage_error "--models-from $2: no such folder"
                models_from=$(cd "$2" && pwd)
                shift 2 ;;
            --no-service) no_service=1; shift ;;
            --uninstall) uninstall=1; shift ;;
            --purge) purge=1; uninstall=1; shift ;;
            -h | --help) usage; exit 0 ;;
            *) usage_error "unknown option $1" ;;
        esac
    done
    if [ "$uninstall" = 1 ] && [ -n "$profile_override$models_from" ]; then
        usage_error "--profile and --models-from are for installing, not with --uninstall"
    fi
}

# --------------------------------------------------------------------------------------------- checks

check_system() {
    step "system checks"
    local arch
    arch=${ASSISTANT_INSTALL_ARCH:-$(dpkg --print-architecture 2>/dev/null || true)}
    case $arch in
        amd64 | arm64) log "   Debian architecture: $arch" ;;
        armhf | armel | i386)
            fail "this is a 32-bit system ($arch programs, even if the kernel says $(uname -m)). ONNX Runtime and" \
                "whisper.cpp have no 32-bit builds: flash the 64-bit Raspberry Pi OS (Bookworm, arm64) and run this again" ;;
        "") fail "dpkg not found: this installer needs Debian, Raspberry Pi OS or Ubuntu" ;;
        *) fail "architecture $arch is not supported (arm64 and amd64 are)" ;;
    esac
    local id="" like="" pretty=""
    if [ -r /etc/os-release ]; then
        # shellcheck disable=SC1091  # the running system's file
        id=$(. /etc/os-release && echo "${ID:-}") like=$(. /etc/os-release && echo "${ID_LIKE:-}") \
            pretty=$(. /etc/os-release && echo "${PRETTY_NAME:-}")
    fi
    case " $id $like " in
        *" debian "* | *" ubuntu "*) log "   OS: ${pretty:-$id}" ;;
        *) fail "OS '${pretty:-unknown}' is not Debian, Raspberry Pi OS or Ubuntu" ;;
    esac
    [ "$(id -u)" -eq 0 ] || fail "run it as root: sudo bash scripts/install.sh (README: set-up without the service)"
}

# ------------------------------------------------------------------------------------------ installing

install_packages() {
    step "Debian packages"
    local wanted=("${RUNTIME_PACKAGES[@]}" "${BUILD_PACKAGES[@]}") missing=()
    mapfile -t missing < <(missing_packages "${wanted[@]}")
    if [ ${#missing[@]} -eq 0 ]; then
        already "installed: ${#wanted[@]} packages (${wanted[*]})"
    else
        apt_install "${missing[@]}"
        done_now "installed ${missing[*]}"
    fi
    # The package needs Python 3.11; Ubuntu 22.04 (JetPack 6) ships 3.10 with 3.11 beside it.
    if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        python=python3
    else
        mapfile -t missing < <(missing_packages python3.11 python3.11-venv python3.11-dev)
        if [ ${#missing[@]} -gt 0 ]; then
            apt_install "${missing[@]}"
            done_now "installed ${missing[*]} (python3 is older than 3.11)"
        fi
        python=python3.11
    fi
    log "   Python: $($python --version)"
}

detect_board() {
    step "board and model profile"
    # assistant/board.py is the one place that knows the boards; load it on its own (the venv does not exist yet).
    local detected
    detected=$("$python" -c 'import importlib.util, sys
spec = importlib.util.spec_from_file_location("board", sys.argv[1])
board = importlib.util.module_from_spec(spec)
spec.loader.exec_module(board)
print(*board.detect_profile(), sep="\t")' "$repo/assistant/board.py")
    detected_profile=${detected%%$'\t'*}
    local board=${detected#*$'\t'}
    profile=${profile_override:-$detected_profile}
    log "   board: $board"
    if [ -n "$profile_override" ]; then
        log "   profile: $profile (from --profile; detected: $detected_profile)"
    else
        log "   profile: $profile"
    fi
    # llama.cpp: portable code on x86_64 (shared with scripts/test.sh), this CPU's code on arm64 boards, CUDA on
    # a Jetson. One wheel cache folder per set of flags (see llama_wheel in lib.sh).
    if [ "$(uname -m)" = x86_64 ]; then
        llama_flavour=portable llama_flags="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
    elif [ "$detected_profile" = jetson ] && [ -x /usr/local/cuda/bin/nvcc ]; then
        export PATH="/usr/local/cuda/bin:$PATH"
        llama_flavour=cuda llama_flags="-DGGML_CUDA=on -DLLAVA_BUILD=OFF"
    else
        if [ "$detected_profile" = jetson ]; then
            log "   WARNING: no CUDA compiler (/usr/local/cuda/bin/nvcc): llama.cpp is built for the CPU." \
                "Install JetPack's CUDA (sudo apt-get install nvidia-jetpack) and run this again for the GPU"
        fi
        llama_flavour=native llama_flags="-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF"
    fi
}

create_user() {
    step "service user"
    if ! id -u "$USER_NAME" >/dev/null 2>&1; then
        useradd --system --user-group --groups audio --home-dir "$STATE_DIR" --no-create-home \
            --shell /usr/sbin/nologin --comment "offline voice assistant" "$USER_NAME"
        done_now "created the system user $USER_NAME (group audio, home $STATE_DIR, no login)"
    elif ! id -nG "$USER_NAME" | tr ' ' '\n' | grep -qx audio; then
        usermod -aG audio "$USER_NAME"
        done_now "added $USER_NAME to the group audio"
    else
        already "there: user $USER_NAME in group audio"
    fi
    if [ ! -d "$MODELS_DIR" ]; then
        install -d -o "$USER_NAME" -g "$USER_NAME" -m 0755 "$STATE_DIR" "$MODELS_DIR"
        done_now "created $MODELS_DIR"
    fi
}

# A digest of everything the package is built from: the venv is rebuilt when it changes, and only then.
source_digest() {
    (cd "$repo" && find pyproject.toml README.md assistant models -type f ! -name '*.pyc' ! -path '*/__pycache__/*' \
        -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

install_venv() {
    step "Python environment"
    if [ ! -x "$VENV/bin/python" ]; then
        log "   creating $VENV"
        install -d -m 0755 "$PREFIX"
        "$python" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip wheel
        done_now "created $VENV"
    fi
    local wheel wanted
    wheel=$(llama_wheel "$llama_flavour" "$llama_flags" "$VENV/bin/python")
    wanted=$(printf 'source %s\nextras %s\nllama %s\n' "$(source_digest)" "$EXTRAS" "$(basename "$wheel")")
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ]; then
        already "installed: the package from $repo with [$EXTRAS] and $(basename "$wheel")"
    else
        log "   installing $(basename "$wheel") and the package from $repo with [$EXTRAS] (minutes, the first time)"
        "$VENV/bin/python" -m pip install --quiet "$wheel"
        "$VENV/bin/python" -m pip install --quiet "${repo}[$EXTRAS]"
        printf '%s\n' "$wanted" >"$STAMP"
        done_now "installed the package into $VENV"
    fi
    # The unit's Documentation= points here.
    if ! cmp -s "$repo/README.md" "$PREFIX/README.md"; then
        install -m 0644 "$repo/README.md" "$PREFIX/README.md"
        done_now "copied README.md to $PREFIX"
    fi
}

link_command() {
    step "command on the PATH"
    local target=$VENV/bin/assistant
    if [ "$(readlink "$COMMAND_LINK" 2>/dev/null)" = "$target" ]; then
        already "there: $COMMAND_LINK -> $target"
        return
    fi
    if [ -e "$COMMAND_LINK" ] && [ ! -L "$COMMAND_LINK" ]; then
        fail "$COMMAND_LINK exists and is not a link to $target (another install?); remove it and run this again"
    fi
    ln -sfn "$target" "$COMMAND_LINK"
    done_now "linked $COMMAND_LINK -> $target"
}

# pick_devices LISTING [ASOUND]: prints "MIC<TAB>SPEAKER" for the `assistant devices --json` output in the file
# LISTING, as ALSA names by card id (stable across reboots; ids from ASOUND/cards, default /proc/asound); empty
# fields when there is no such device. A USB speakerphone or a sound HAT has both on one card: keep them together.
pick_devices() {
    "$VENV/bin/python" - "$1" "${2:-/proc/asound}" <<'PY'
import json
import sys
from pathlib import Path

from assistant.audio.devices import read_cards

listing = json.load(open(sys.argv[1]))
card_ids = {card.number: card.id for card in read_cards(Path(sys.argv[2]))}


def name(device):
    card, dev = device["hw"]
    return f"hw:CARD={card_ids[card]},DEV={dev}" if card in card_ids else f"hw:{card},{dev}"


def hardware(channels):
    return [d for d in listing["devices"] if d["hw"] and d[channels] > 0]


mics, speakers = hardware("max_input_channels"), hardware("max_output_channels")
mic = mics[0] if mics else None
same_card = [s for s in speakers if mic and s["hw"][0] == mic["hw"][0]]
not_hdmi = [s for s in speakers if "hdmi" not in s["name"].lower()]
speaker = (same_card or not_hdmi or speakers or [None])[0]
print(name(mic) if mic else "", name(speaker) if speaker else "", sep="\t")
PY
}

write_config() {
    step "configuration"
    if [ -f "$CONFIG" ]; then
        already "there: $CONFIG (never overwritten; \`assistant config example\` shows every setting)"
        # The assistant picks its default models by models.profile: say so if that is not the profile installed.
        local configured used
        configured=$(sed -n 's/^profile = "\(.*\)"$/\1/p' "$CONFIG" | head -n 1)
        used=${configured:-auto}
        [ "$used" = auto ] && used=$detected_profile
        if [ -n "$profile_override" ] && [ "$used" != "$profile_override" ]; then
            log "   NOTE: $CONFIG has models.profile = \"${configured:-auto}\"; set it to \"$profile_override\"" \
                "to use the models installed for --profile $profile_override"
        fi
        return
    fi
    local draft listing mic="" speaker=""
    draft=$(mktemp) listing=$(mktemp)
    cp "$repo/assistant/data/assistant.example.toml" "$draft"
    if "$VENV/bin/assistant" --log-level error devices --json --config "$draft" >"$listing" 2>/dev/null; then
        IFS=$'\t' read -r mic speaker < <(pick_devices "$listing") || true
    fi
    if [ -n "$mic" ]; then
        sed -i "s|^input_device = \"\"$|input_device = \"$mic\"|" "$draft"
        log "   microphone: $mic"
    fi
    if [ -n "$speaker" ]; then
        sed -i "s|^output_device = \"\"$|output_device = \"$speaker\"|" "$draft"
        log "   speaker: $speaker"
    fi
    if [ -z "$mic$speaker" ]; then
        log "   no sound card found (\`assistant devices\` lists none): the microphone and speaker stay at the" \
            "system default. Plug them in, run \`assistant devices\`, and set audio.input_device and" \
            "audio.output_device in $CONFIG"
    fi
    if [ -n "$profile_override" ] && [ "$profile_override" != "$detected_profile" ]; then
        sed -i "s|^profile = \"auto\"$|profile = \"$profile_override\"|" "$draft"
    fi
    local check
    check=$("$VENV/bin/assistant" config check "$draft" 2>&1) || fail "the new config does not pass \`assistant config check\`:
$check"
    install -d -m 0755 "$CONFIG_DIR"
    install -m 0644 "$draft" "$CONFIG"
    rm -f "$draft" "$listing"
    done_now "wrote $CONFIG from the example"
}

# Prints which engine and model the assistant will use for each role, as `assistant run` will choose them.
print_engines() {
    ASSISTANT_MODELS_DIR=$MODELS_DIR "$VENV/bin/python" - "$CONFIG" <<'PY'
import os
import sys

from assistant.config import load_config
from assistant.errors import AssistantError
from assistant.selection import choose, choose_wake

config = load_config(sys.argv[1], os.environ).config
for role in ("vad", "stt", "partials", "llm", "tts"):
    try:
        choice = choose(role, config)
        print(f"   {role:8} {choice.engine}: {choice.reason}")
    except AssistantError as exc:
        print(f"   {role:8} UNAVAILABLE: {exc}")
wake = choose_wake(config)
print(f"   {'wake':8} {wake.engine}: {wake.reason}")
PY
}

install_models() {
    step "models"
    local output status=0 missing=()
    output=$(mktemp)
    local pull=("$VENV/bin/assistant" --config "$CONFIG" models pull --default --profile "$profile")
    if [ -n "$models_from" ]; then
        pull+=(--from "$models_from")
        log "   the $profile profile's default models, from $models_from, into $MODELS_DIR"
    else
        log "   downloading the $profile profile's default models into $MODELS_DIR (checked by sha256)"
    fi
    ASSISTANT_MODELS_DIR=$MODELS_DIR PYTHONUNBUFFERED=1 "${pull[@]}" 2>&1 | tee "$output" >&2 || status=$?
    if grep -q ': installed ' "$output"; then
        done_now "installed $(sed -n 's/^✓ \([^:]*\): installed .*/\1/p' "$output" | paste -sd ' ')"
    fi
    mapfile -t missing < <(sed -n 's/^✗ \([^:]*\):.*/\1/p' "$output")
    rm -f "$output"
    # A pull that found no file leaves an empty model folder behind, which `models verify` would call broken.
    find "$MODELS_DIR" -mindepth 1 -maxdepth 1 -type d -empty -delete
    # The service reads (and systemd's StateDirectory= owns) the models as the service user.
    if [ -n "$(find "$STATE_DIR" ! -user "$USER_NAME" -print -quit)" ]; then
        chown -R "$USER_NAME:$USER_NAME" "$STATE_DIR"
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        log "   NOT INSTALLED: ${missing[*]}"
        log "   The assistant works without them with the zero-download set: pocketsphinx for speech-to-text," \
            "espeak-ng for speech, and without a language model it answers from a small built-in rule set."
        if [[ " ${missing[*]} " == *" silero-vad"* ]]; then
            log "   Except the voice activity model (silero-vad, 2 MB): the assistant cannot listen without it."
        fi
        log "   Add them later: sudo assistant models pull --default (online), or" \
            "sudo assistant models pull --default --from /media/usb/models (offline), then restart the service"
    elif [ "$status" -ne 0 ]; then
        fail "assistant models pull failed (exit $status), see above"
    else
        already "installed: every default model of the $profile profile"
    fi
    log "   the assistant will use:"
    print_engines >&2
}

install_service() {
    step "systemd service"
    if [ "$no_service" = 1 ]; then
        log "   skipped (--no-service): start the assistant yourself with \`assistant run\`"
        return
    fi
    if ! command -v systemctl >/dev/null; then
        log "   skipped: systemd is not installed here; start the assistant yourself with \`assistant run\`"
        return
    fi
    local running=0
    [ -d /run/systemd/system ] && running=1
    if ! cmp -s "$repo/systemd/assistant.service" "$UNIT"; then
        install -m 0644 "$repo/systemd/assistant.service" "$UNIT"
        done_now "installed $UNIT"
        if [ "$running" = 1 ]; then systemctl daemon-reload; fi
    fi
    if systemctl is-enabled --quiet "$SERVICE" 2>/dev/null; then
        already "enabled: $SERVICE starts at boot"
    else
        systemctl enable --quiet "$SERVICE"
        done_now "enabled $SERVICE (starts at boot)"
    fi
    if [ "$running" = 0 ]; then
        log "   systemd is not running as PID 1 here (a chroot or container): the service starts at the next boot"
        return
    fi
    if systemctl is-active --quiet "$SERVICE"; then
        if [ ${#changes[@]} -gt 0 ]; then
            systemctl restart --no-block "$SERVICE"
            done_now "restarted $SERVICE with the new installation"
        else
            already "running: $SERVICE"
            return
        fi
    else
        systemctl start --no-block "$SERVICE"
        done_now "started $SERVICE"
    fi
    report_service_state
}

# The service loads its models before it reports READY: wait a little, then say how it is doing.
report_service_state() {
    local state waited=0
    while state=$(systemctl is-active "$SERVICE" 2>/dev/null); [ "$state" = activating ] && [ $waited -lt 30 ]; do
        sleep 1
        waited=$((waited + 1))
    done
    case $state in
        active) log "   $SERVICE is running; follow it with: journalctl -u $SERVICE -f" ;;
        activating) log "   $SERVICE is still starting (loading models); follow it with: journalctl -u $SERVICE -f" ;;
        *)
            log "   WARNING: $SERVICE is $state. Its last log lines:"
            journalctl -u "$SERVICE" -n 15 --no-pager >&2 || true
            log "   Fix what they say (often the microphone or speaker: \`assistant devices\`), then:" \
                "sudo systemctl restart $SERVICE" ;;
    esac
}

# ----------------------------------------------------------------------------------------- uninstalling

remove_service() {
    step "systemd service"
    if [ ! -e "$UNIT" ]; then
        already "removed: $UNIT"
        return
    fi
    if [ -d /run/systemd/system ]; then
        systemctl disable --now --quiet "$SERVICE" || true
        rm -f "$UNIT"
        systemctl daemon-reload
    else
        systemctl disable --quiet "$SERVICE" 2>/dev/null || true
        rm -f "$UNIT"
    fi
    done_now "stopped, disabled and removed $SERVICE"
}

remove_path() {
    local path=$1 what=$2
    if [ -e "$path" ] || [ -L "$path" ]; then
        rm -rf "$path"
        done_now "removed $what ($path)"
    else
        already "removed: $what ($path)"
    fi
}

uninstall() {
    step "system checks"
    [ "$(id -u)" -eq 0 ] || fail "run it as root: sudo bash scripts/install.sh --uninstall"
    remove_service
    step "command and Python environment"
    if [ -L "$COMMAND_LINK" ] && [ "$(readlink "$COMMAND_LINK")" = "$VENV/bin/assistant" ]; then
        remove_path "$COMMAND_LINK" "the command"
    else
        already "removed: the command ($COMMAND_LINK)"
    fi
    remove_path "$PREFIX" "the virtual environment"
    if [ "$purge" = 1 ]; then
        step "configuration, models and user (--purge)"
        remove_path "$CONFIG_DIR" "the configuration"
        remove_path "$STATE_DIR" "the models and state"
        if id -u "$USER_NAME" >/dev/null 2>&1; then
            userdel "$USER_NAME"
            done_now "removed the user $USER_NAME"
        else
            already "removed: the user $USER_NAME"
        fi
    else
        log "   kept: $CONFIG_DIR, $STATE_DIR (models) and the user $USER_NAME; --purge removes them too"
    fi
    log "   the Debian packages stay (other software may use them)"
}

# ------------------------------------------------------------------------------------------------ main

summary() {
    step "summary"
    if [ ${#changes[@]} -eq 0 ]; then
        log "   nothing changed: everything was already $1"
    else
        log "   changed:"
        local change
        for change in "${changes[@]}"; do log "     - $change"; done
    fi
}

main() {
    parse_arguments "$@"
    if [ "$uninstall" = 1 ]; then
        uninstall
        summary removed
        return
    fi
    check_system
    install_packages
    detect_board
    create_user
    install_venv
    link_command
    write_config
    install_models
    install_service
    summary "in place"
    log "Next: \`assistant devices\` lists the microphones and speakers; settings are in $CONFIG;" \
        "\`journalctl -u $SERVICE\` is the service's log. See the README's maker's guide."
}

# Sourced (by the tests), it only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
