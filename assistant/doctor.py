"""`assistant doctor`: is this machine ready to run the assistant? Each check says what it found and the fix.

Every check is a small function returning `CheckResult`s (pass, warn, fail or skip); `run_checks` runs them
all in order. The system files they read (/proc/meminfo, the CPU frequency folders, the group and passwd
databases, systemd's run folder) are parameters, so tests point them at files of their own. Nothing here
opens a network connection; the audio checks open the configured sound devices for about a second.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.config import AudioConfig, Config, ConfigError, LoadedConfig, load_config
from assistant.errors import ConfigurationError
from assistant.models import ModelEntry
from assistant.selection import Catalog, Choice, choose, choose_wake

if TYPE_CHECKING:
    from assistant.audio.devices import DeviceInfo
    from assistant.audio.io import AudioIO, DuplexBlock

Status = Literal["pass", "warn", "fail", "skip"]
SEVERITY: dict[Status, int] = {"skip": 0, "pass": 1, "warn": 2, "fail": 3}

# Python, NumPy, ONNX Runtime and PortAudio before any model: 81 MB max RSS measured on x86_64 (ru_maxrss
# after importing them and loading Silero VAD), rounded up for the pipeline's threads and buffers.
BASE_RAM_MB = 100
# A model near the whole RAM leaves the OS and the page cache nothing: warn above this share.
RAM_WARN_SHARE = 0.8
GOOD_GOVERNORS = ("performance", "schedutil")
LISTEN_GRACE_S = 3.0  # ALSA's pulse plugin can take seconds to deliver the first microphone block
SERVICE = "assistant"
RUNNING = ("active", "activating", "reloading")  # systemctl is-active states in which the unit runs


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report."""

    name: str
    status: Status
    detail: str
    fix: str = ""  # what to do; empty when the check passed or was skipped


@dataclass(frozen=True)
class SystemFiles:
    """Where the checks look; tests replace them with files of their own."""

    meminfo: Path = Path("/proc/meminfo")
    cpu: Path = Path("/sys/devices/system/cpu")
    group: Path = Path("/etc/group")
    passwd: Path = Path("/etc/passwd")
    systemd: Path = Path("/run/systemd/system")  # exists when systemd runs the machine (sd_booted)
    rtc: Path = Path("/sys/class/rtc")  # a real-time clock's device, if the board has one


@dataclass(frozen=True)
class Identity:
    """Who runs the doctor: name, uid, and the groups this process has (a new group needs a new login)."""

    user: str
    uid: int
    groups: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def current(cls) -> Identity:
        uid = os.getuid()
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        return cls(name, uid, frozenset([*os.getgroups(), os.getgid()]))


# ----------------------------------------------------------------------------------------------- config


def check_config(cli_path: str | None, env: Mapping[str, str]) -> tuple[CheckResult, LoadedConfig | None]:
    """The configuration loads (the file named by --config, $ASSISTANT_CONFIG, ... or the defaults)."""
    try:
        loaded = load_config(cli_path, env)
    except ConfigError as exc:
        where = exc.problems[0].origin if exc.problems else "the configuration"
        problems = "; ".join(str(p) for p in exc.problems)
        count = f"{len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}"
        fix = f"edit {where}; `assistant config check` lists every problem"
        return CheckResult("config", "fail", f"{count}: {problems}", fix), None
    source = f"{loaded.path} ({loaded.path_reason})" if loaded.path else loaded.path_reason
    return CheckResult("config", "pass", source), loaded


# ----------------------------------------------------------------------------------------------- models

# What each engine needs besides its model, and how to get it.
_ENGINE_PACKAGES = {
    "silero": ("onnxruntime", "pip install onnxruntime"),
    "openwakeword": ("onnxruntime", "pip install onnxruntime"),
    "whisper": ("pywhispercpp", "pip install 'assistant[whisper]'"),
    "vosk": ("vosk", "pip install 'assistant[vosk]'"),
    "sphinx": ("pocketsphinx", "pip install pocketsphinx"),
    "llama": ("llama_cpp", "pip install 'assistant[llm]'"),
    "piper": ("piper", "pip install 'assistant[piper]'"),
}
# Under `auto`, these choices are the zero-download fallbacks: (manifest role, extra, its package).
_FALLBACKS = {
    ("stt", "sphinx"): ("stt-whisper", "whisper", "pywhispercpp"),
    ("tts", "espeak"): ("tts-piper", "piper", "piper"),
    ("llm", "none"): ("llm", "llm", "llama_cpp"),
    ("wake", "none"): ("wake", "", ""),
}


@dataclass(frozen=True)
class Selected:
    """A model the configuration selects, with its manifest entry when it is one of the manifest's."""

    role: str
    label: str  # for the RAM breakdown: the manifest name, or the file name
    path: Path | None
    entry: ModelEntry | None


@dataclass(frozen=True)
class ModelReport:
    results: list[CheckResult]
    selected: list[Selected] | None  # what the RAM check adds up; None when the manifest could not be read


def check_models(config: Config, env: Mapping[str, str]) -> ModelReport:
    """Per role: the engine `auto` or the config chooses and why, its package, and the files' checksums."""
    try:
        catalog = Catalog.from_config(config, env)
    except ConfigurationError as exc:
        return ModelReport([CheckResult("models", "fail", str(exc), "fix the manifest named above")], None)
    results, selected = [], []
    for role in ("vad", "wake", "stt", "partials", "llm", "tts"):
        try:
            choices = _wake_choices(config, catalog) if role == "wake" else [choose(role, config, catalog)]
        except ConfigurationError as exc:
            results.append(CheckResult(f"model {role}", "fail", str(exc), _pull_fix(catalog, role)))
            continue
        result, found = _check_choice(role, choices, config, catalog)
        results.append(result)
        selected += found
    return ModelReport(results, selected)


def _wake_choices(config: Config, catalog: Catalog) -> list[Choice]:
    wake = choose_wake(config, catalog)
    if not wake.words:
        return [Choice("wake", "none", None, wake.reason)]
    return [Choice("wake", wake.engine, w.classifier, wake.reason) for w in wake.words]


def _check_choice(
    role: str, choices: list[Choice], config: Config, catalog: Catalog
) -> tuple[CheckResult, list[Selected]]:
    name = f"model {role}"
    engine, reason = choices[0].engine, choices[0].reason
    head = f"{engine} ({reason})"
    missing = _missing_package(engine)
    if missing:
        return CheckResult(name, "fail", f"{head}: {missing[0]} is not installed", missing[1]), []
    selected, notes, broken = [], [], []
    for choice in choices:
        entry = _manifest_entry(choice, catalog)
        if entry is not None:
            selected.append(Selected(role, entry.name, choice.model, entry))
        elif choice.model is not None:
            selected.append(Selected(role, choice.model.name, choice.model, None))
        note, problem = _verify(choice, entry, catalog)
        notes += [note] if note else []
        broken += [problem] if problem else []
    detail = head + (f"; {'; '.join(notes)}" if notes else "")
    if broken:
        names = [s.entry.name for s in selected if s.entry]
        fix = f"assistant models pull {' '.join(names)}" if names else "replace the files named above"
        return CheckResult(name, "fail", detail + "; " + "; ".join(broken), fix), selected
    fallback = _FALLBACKS.get((role, engine))
    if fallback and getattr(config, role).engine == "auto":
        return CheckResult(name, "warn", detail, _fallback_fix(catalog, *fallback)), selected
    return CheckResult(name, "pass", detail), selected


def _has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _missing_package(engine: str) -> tuple[str, str] | None:
    """(what is missing, how to install it) for the chosen engine, or None."""
    if engine == "espeak":
        return None if shutil.which("espeak-ng") else ("espeak-ng", "sudo apt-get install espeak-ng")
    module, install = _ENGINE_PACKAGES.get(engine, ("", ""))
    if module and not _has_module(module):
        return f"the Python package {module}", install
    return None


def _manifest_entry(choice: Choice, catalog: Catalog) -> ModelEntry | None:
    """The manifest model whose files `choice` loads (pocketsphinx's bundled model when it names none)."""
    if choice.engine == "sphinx" and choice.model is None:
        return next((m for m in catalog.manifest.by_role("stt-sphinx") if m.bundled), None)
    if choice.model is None:
        return None
    wanted = choice.model.resolve()
    for model in catalog.manifest.models:
        if not model.bundled and model.main_path(catalog.store.root).resolve() == wanted:
            return model
    return None


def _verify(choice: Choice, entry: ModelEntry | None, catalog: Catalog) -> tuple[str, str]:
    """(a note for the report, a problem that fails the check), each possibly empty."""
    if entry is None:
        if choice.model is None:
            return "", ""
        if choice.engine == "openwakeword":
            absent = [n for n in ("melspectrogram.onnx", "embedding_model.onnx")
                      if not (choice.model.parent / n).is_file()]
            if absent:
                return "", f"{', '.join(absent)} missing beside {choice.model}"
        return f"{choice.model} is not a manifest model: not verified", ""
    if entry.bundled:
        return f"{entry.name}, bundled with its Python package", ""
    statuses = catalog.store.status(entry)
    bad = [f"{s.state}: {s.path}" + (f" ({s.detail})" if s.detail else "")
           for s in statuses if s.state in ("missing", "corrupt")]
    if bad:
        return "", f"{entry.name}: " + "; ".join(bad)
    unverified = sum(s.state == "unverified" for s in statuses)
    checked = f"{entry.name}: {len(statuses) - unverified} file(s) match the manifest's checksums"
    return checked + (f", {unverified} without a published checksum" if unverified else ""), ""


def _fallback_fix(catalog: Catalog, manifest_role: str, extra: str, module: str) -> str:
    default = catalog.manifest.default(manifest_role, catalog.profile)
    if default is not None and not catalog.store.is_installed(default):
        return f"for the {catalog.profile} default: assistant models pull {default.name}"
    if module and not _has_module(module):
        return f"pip install 'assistant[{extra}]'"
    return f"set a model for {manifest_role} in the config (`assistant models list --role {manifest_role}`)"


def _pull_fix(catalog: Catalog, role: str) -> str:
    roles = {"stt": "stt-whisper", "partials": "stt-vosk", "tts": "tts-piper"}
    default = catalog.manifest.default(roles.get(role, role), catalog.profile)
    pull = f"assistant models pull {default.name}" if default else "assistant models pull --default"
    return f"{pull}, or change the setting named above"


# -------------------------------------------------------------------------------------------------- RAM


def model_ram_mb(selected: Iterable[Selected]) -> dict[str, int]:
    """Approximate RAM per distinct model: the manifest's figure, or the size on disk of a file of one's own."""
    needs: dict[str, int] = {}
    for item in selected:
        if item.entry is not None:
            needs[item.entry.name] = item.entry.ram_mb
        elif item.path is not None:
            needs[item.label] = math.ceil(_size_on_disk(item.path) / 1e6)
    return needs


def _size_on_disk(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def read_meminfo(meminfo: Path) -> dict[str, int]:
    """/proc/meminfo as {field: kB}."""
    values = {}
    for line in meminfo.read_text().splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0])
    return values


def check_ram(needs_mb: Mapping[str, int], meminfo: Path) -> CheckResult:
    """The configured models (plus the process itself) fit in RAM."""
    try:
        info = read_meminfo(meminfo)
        total, available = info["MemTotal"] // 1024, info.get("MemAvailable", info["MemTotal"]) // 1024
    except (OSError, KeyError):
        return CheckResult("RAM", "skip", f"{meminfo} cannot be read")
    need = BASE_RAM_MB + sum(needs_mb.values())
    parts = ", ".join(f"{name} {mb}" for name, mb in sorted(needs_mb.items(), key=lambda kv: -kv[1]))
    detail = f"about {need} MB needed ({parts}{', ' if parts else ''}the process {BASE_RAM_MB}); " \
             f"{available} MB available of {total} MB"
    smaller = "choose smaller models (`assistant models list` shows each one's RAM MB)"
    if need > total:
        return CheckResult("RAM", "fail", detail, smaller)
    if need > RAM_WARN_SHARE * total:
        return CheckResult("RAM", "warn", detail + f": over {RAM_WARN_SHARE:.0%} of the RAM", smaller)
    if need > available:
        return CheckResult(
            "RAM", "warn", detail + " (a running assistant counts against what is available)",
            "stop other programs, or " + smaller,
        )
    return CheckResult("RAM", "pass", detail)


# ------------------------------------------------------------------------------------------------ audio


def check_audio(config: AudioConfig, *, seconds: float = 1.0) -> list[CheckResult]:
    """The microphone and speaker open through the real PortAudio path, and the microphone hears something.

    Three results: "microphone", "speaker" and "microphone level".
    """
    from assistant.audio.devices import AudioDeviceError, find_device
    from assistant.audio.portaudio import CardIO, binding_for

    level_skipped = CheckResult("microphone level", "skip", "the microphone could not be opened")
    try:
        binding = binding_for(config.backend)
        devices = binding.devices()
    except (AudioDeviceError, ConfigurationError) as exc:  # no PortAudio library, pyaudio not installed
        failed = _audio_failure("microphone", exc)
        return [failed, dataclasses.replace(failed, name="speaker"), level_skipped]
    found, results = {}, {}
    for kind, name in (("input", "microphone"), ("output", "speaker")):
        try:
            found[kind] = find_device(getattr(config, f"{kind}_device"), kind, devices)
        except AudioDeviceError as exc:
            results[kind] = _audio_failure(name, exc)
    if len(found) < 2:
        for kind, device in found.items():
            other = "speaker" if kind == "input" else "microphone"
            name = "microphone" if kind == "input" else "speaker"
            results[kind] = CheckResult(name, "skip", f"{device.label()} found; not opened without the {other}")
        return [results["input"], results["output"], level_skipped]
    try:
        audio = CardIO(config, binding)
        audio.start()
    except (AudioDeviceError, ConfigurationError) as exc:
        failed = _audio_failure("microphone", exc, found["input"])
        speaker = CheckResult("speaker", "fail", "opened together with the microphone, which failed (above)",
                              failed.fix)
        return [failed, speaker, level_skipped]
    try:
        blocks = _listen(audio, seconds)
    finally:
        audio.stop()
    plan = audio.plan
    rate_note = ": below 16 kHz, speech recognition suffers" if plan.input_rate < 16000 else ""
    microphone = CheckResult(
        "microphone", "warn" if rate_note else "pass", plan.describe("input") + rate_note,
        "set audio.input_rate to 16000 or more (`assistant devices` shows the device's rate)" if rate_note else "",
    )
    speaker = CheckResult("speaker", "pass", plan.describe("output"))
    return [microphone, speaker, mic_level(blocks, audio.sample_rate, seconds)]


def _listen(audio: AudioIO, seconds: float) -> list[DuplexBlock]:
    """Up to `seconds` of microphone blocks; a sound server's plugin may take seconds to deliver the first."""
    wanted = int(seconds * audio.sample_rate)
    blocks: list[DuplexBlock] = []
    got = 0
    deadline = time.monotonic() + seconds + LISTEN_GRACE_S
    while got < wanted and time.monotonic() < deadline:
        block = audio.read(timeout=0.2)
        if block is not None:
            blocks.append(block)
            got += len(block.mic)
    return blocks


def mic_level(blocks: list[DuplexBlock], sample_rate: int, seconds: float) -> CheckResult:
    """Whether the microphone hears something: digital silence is a muted or zeroed capture control."""
    import numpy as np

    name = "microphone level"
    if not blocks:
        return CheckResult(name, "fail", f"no audio came from the microphone in {seconds + LISTEN_GRACE_S:g} s",
                           "`assistant devices --test` shows the live level; check the device and its cable")
    mic = np.concatenate([b.mic for b in blocks]).astype(np.float64)
    rms = math.sqrt(float(np.mean(mic**2)))
    level = 20 * math.log10(rms / 32768) if rms > 0 else -math.inf
    peak = int(np.abs(mic).max())
    detail = f"{level:.1f} dBFS over {len(mic) / sample_rate:.1f} s, peak {peak}"
    mixer = "alsamixer (F6: the card, F4: capture), or a sound server's mixer (pavucontrol, wpctl)"
    if peak == 0:
        return CheckResult(name, "fail", "only digital silence: the capture control is muted or at 0",
                           f"unmute it and raise the capture level: {mixer}")
    if peak >= 32767:
        return CheckResult(name, "warn", detail + ": clipping", f"lower the capture level: {mixer}")
    if level < -70:
        return CheckResult(name, "warn", detail + ": very quiet",
                           f"raise the capture level ({mixer}), or try frontend.agc = true")
    return CheckResult(name, "pass", detail)


def _audio_failure(name: str, exc: Exception, device: DeviceInfo | None = None) -> CheckResult:
    """The device error as detail and the system's diagnosis (no card, no permission, busy) as the fix."""
    from assistant.audio.devices import AudioDeviceError, diagnose

    message = str(exc)
    hint = diagnose(device) if isinstance(exc, AudioDeviceError) else ""  # a setting's error says its own fix
    if hint and hint in message:
        message = message.replace(hint, "").rstrip(" .:")
    fix = hint or "`assistant devices` lists the devices with their rates and channels; set audio.input_device / " \
                  "audio.output_device (and audio.input_rate / audio.output_rate) to ones that work"
    return CheckResult(name, "fail", message, fix)


# ------------------------------------------------------------------------------------------------ system


def _read_db(path: Path) -> list[list[str]]:
    """The colon-separated records of /etc/group or /etc/passwd."""
    return [line.split(":") for line in path.read_text().splitlines() if line and not line.startswith("#")]


def _worst(name: str, findings: list[tuple[Status, str, str]]) -> CheckResult:
    """One result of several findings (status, detail, fix): the worst status, every detail and fix."""
    status = max((f[0] for f in findings), key=SEVERITY.__getitem__)
    return CheckResult(name, status, "; ".join(f[1] for f in findings), "; ".join(f[2] for f in findings if f[2]))


def check_audio_group(identity: Identity, files: SystemFiles, service_user: str = SERVICE) -> CheckResult:
    """This user (and the service user, when there is one) may open the sound devices."""
    name = "audio group"
    try:
        groups = {r[0]: r for r in _read_db(files.group) if len(r) >= 4}
        users = {r[0]: r for r in _read_db(files.passwd) if len(r) >= 4}
    except OSError as exc:
        return CheckResult(name, "skip", f"cannot read the group database: {exc}")
    if "audio" not in groups:
        return CheckResult(name, "skip", f"{files.group} has no audio group: the sound devices' own permissions apply")
    gid = groups["audio"][2]
    members = set(filter(None, groups["audio"][3].split(",")))

    def member(user: str) -> bool:
        return user in members or (user in users and users[user][3] == gid)

    findings: list[tuple[Status, str, str]] = []
    if identity.uid == 0:
        findings.append(("pass", f"running as {identity.user}: may open any device", ""))
    elif not member(identity.user):
        findings.append(("fail", f"{identity.user} is not in the audio group",
                         f"sudo usermod -aG audio {identity.user}, then log out and in again"))
    elif gid.isdigit() and int(gid) not in identity.groups:
        findings.append(("warn", f"{identity.user} was added to the audio group after this login began",
                         "log out and in again (or run `newgrp audio`)"))
    else:
        findings.append(("pass", f"{identity.user} is in the audio group", ""))
    if service_user in users and service_user != identity.user:
        if member(service_user):
            findings.append(("pass", f"the service user {service_user} too", ""))
        else:
            findings.append((
                "warn",
                f"the service user {service_user} is not (the unit adds SupplementaryGroups=audio, but commands "
                "run as it cannot open the card)",
                f"sudo usermod -aG audio {service_user}",
            ))
    return _worst(name, findings)


def check_governor(cpu: Path) -> CheckResult:
    """The CPU frequency governor: ondemand and powersave make every turn start slow."""
    found: dict[str, int] = {}
    for path in sorted(cpu.glob("cpu[0-9]*/cpufreq/scaling_governor")):
        try:
            governor = path.read_text().strip()
        except OSError:
            continue
        found[governor] = found.get(governor, 0) + 1
    if not found:
        return CheckResult("CPU governor", "skip", f"no cpufreq under {cpu} (a VM or container does not have one)")
    detail = ", ".join(f"{g} on {n} CPU{'s' if n != 1 else ''}" for g, n in sorted(found.items()))
    slow = sorted(set(found) - set(GOOD_GOVERNORS))
    if not slow:
        return CheckResult("CPU governor", "pass", detail)
    return CheckResult(
        "CPU governor", "warn", f"{detail}: {', '.join(slow)} lets the CPU idle slow, so replies start late",
        "now: echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; at every boot: "
        "add cpufreq.default_governor=performance to the kernel command line (/boot/firmware/cmdline.txt on a Pi)",
    )


Runner = Callable[[list[str]], str]


def _answer_of(tool: str) -> Runner:
    """`tool`'s answer on stdout, whatever its exit status (systemctl is-active exits non-zero for "inactive")."""
    def run(args: list[str]) -> str:
        return subprocess.run([tool, *args], capture_output=True, text=True, timeout=10).stdout.strip()
    return run


_systemctl = _answer_of("systemctl")
_timedatectl = _answer_of("timedatectl")


def check_service(files: SystemFiles, run: Runner = _systemctl) -> tuple[CheckResult, bool]:
    """The systemd unit: enabled at boot and running; and whether it runs (then it holds the sound card)."""
    if not files.systemd.is_dir() or shutil.which("systemctl") is None:
        return CheckResult("service", "skip", "systemd does not run this machine (a container or chroot?): "
                                              "no service to check"), False
    try:
        enabled, active = run(["is-enabled", SERVICE]), run(["is-active", SERVICE])
    except (OSError, subprocess.SubprocessError) as exc:
        return CheckResult("service", "skip", f"systemctl did not answer: {exc}"), False
    return service_result(enabled, active), active in RUNNING


def service_result(enabled: str, active: str) -> CheckResult:
    """What `systemctl is-enabled` and `is-active` answered, as a check result."""
    name, unit = "service", f"{SERVICE}.service"
    journal = f"journalctl -u {SERVICE} -e shows why"
    if enabled in ("", "not-found"):
        return CheckResult(name, "skip", f"{unit} is not installed (scripts/install.sh installs it); "
                                         "`assistant run` works without it")
    if enabled == "masked":
        return CheckResult(name, "warn", f"{unit} is masked", f"sudo systemctl unmask {SERVICE}")
    at_boot = enabled in ("enabled", "enabled-runtime", "static", "indirect", "alias", "linked", "generated")
    state = f"{active}, {'starts' if at_boot else 'does not start'} at boot ({enabled})"
    if active == "failed":
        return CheckResult(name, "fail", state, f"{journal}; then sudo systemctl restart {SERVICE}")
    if active in RUNNING:
        if at_boot:
            return CheckResult(name, "pass", state)
        return CheckResult(name, "warn", state, f"sudo systemctl enable {SERVICE}")
    if at_boot:
        fix = f"sudo systemctl start {SERVICE}; if it stops, {journal}"
        return CheckResult(name, "warn", state + ": not running", fix)
    return CheckResult(name, "warn", state, f"sudo systemctl enable --now {SERVICE}")


_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})


def check_clock(files: SystemFiles, run: Runner = _timedatectl) -> CheckResult:
    """The system clock and time zone: "what time is it" and alarms are only as right as they are. A Raspberry Pi
    has no real-time clock (a Pi 5 has one, kept only with its battery): it boots with the time it was shut down
    at, until NTP sets it."""
    name = "clock"
    if not files.systemd.is_dir() or shutil.which("timedatectl") is None:
        return CheckResult(name, "skip", "systemd does not run this machine: the clock and time zone are not checked")
    try:
        shown = dict(line.split("=", 1) for line in run(["show"]).splitlines() if "=" in line)
    except (OSError, subprocess.SubprocessError) as exc:
        return CheckResult(name, "skip", f"timedatectl did not answer: {exc}")
    zone = shown.get("Timezone", "")
    clocks = sorted(p.name for p in files.rtc.glob("rtc*")) if files.rtc.is_dir() else []
    findings: list[tuple[Status, str, str]] = [("pass", f"time zone {zone}" if zone else "no time zone set", "")]
    if zone in _UTC_ZONES:
        findings.append(("warn", "the time is told in UTC: if that is not where the assistant is, it tells the wrong "
                                 "time, and it knows no place to tell sunrise and sunset for",
                         "sudo timedatectl set-timezone Area/City (timedatectl list-timezones); for sunrise and "
                         "sunset where it is, general.location = [latitude, longitude]"))
    if shown.get("NTPSynchronized") == "yes":
        findings.append(("pass", "synchronized by NTP", ""))
    elif clocks:
        findings.append(("pass", f"not synchronized by NTP, kept by a real-time clock ({clocks[0]}; unplugged, only "
                                 "with its battery)", ""))
    else:
        findings.append((
            "warn",
            "not synchronized by NTP and no real-time clock: after a boot the clock says the time the board was shut "
            "down at, and so do the time the assistant tells and its alarms",
            "let the board reach an NTP server after each boot (systemd-timesyncd does it; the assistant itself sends "
            "nothing), or fit a real-time clock module; by hand: sudo timedatectl set-time 'YYYY-MM-DD HH:MM:SS'",
        ))
    return _worst(name, findings)


# ---------------------------------------------------------------------------------------------- running


def run_checks(
    cli_path: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    files: SystemFiles | None = None,
    identity: Identity | None = None,
    audio: bool = True,
    listen_s: float = 1.0,
    systemctl: Runner = _systemctl,
    timedatectl: Runner = _timedatectl,
) -> Iterator[CheckResult]:
    """Every check, in order, each as soon as it is done (the model checksums and the audio take a while)."""
    env = os.environ if env is None else env
    files = files or SystemFiles()
    # The service first: while it runs it holds the sound card, and opening the card here would fail.
    service, service_running = check_service(files, systemctl)
    config_result, loaded = check_config(cli_path, env)
    yield config_result
    if loaded is None:
        for name in ("models", "RAM", "microphone", "speaker", "microphone level"):
            yield CheckResult(name, "skip", "the configuration is invalid (above)")
    else:
        report = check_models(loaded.config, env)
        yield from report.results
        if report.selected is None:
            yield CheckResult("RAM", "skip", "the models could not be chosen (above)")
        else:
            yield check_ram(model_ram_mb(report.selected), files.meminfo)
        if not audio:
            for name in ("microphone", "speaker", "microphone level"):
                yield CheckResult(name, "skip", "audio checks turned off (--no-audio)")
        elif service_running:
            for name in ("microphone", "speaker", "microphone level"):
                yield CheckResult(name, "skip", f"the running service holds the sound card; to test it here: "
                                                f"sudo systemctl stop {SERVICE}")
        else:
            yield from check_audio(loaded.config.audio, seconds=listen_s)
    yield check_audio_group(identity or Identity.current(), files)
    yield check_governor(files.cpu)
    yield check_clock(files, timedatectl)
    yield service


# ----------------------------------------------------------------------------------------------- output

_UNICODE = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "-", "fix": " — fix: "}
_ASCII = {"pass": "+", "warn": "!", "fail": "x", "skip": "-", "fix": " -- fix: "}


def can_print_unicode(encoding: str | None) -> bool:
    try:
        "".join(_UNICODE.values()).encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def format_result(result: CheckResult, *, unicode: bool = True) -> str:
    marks = _UNICODE if unicode else _ASCII
    line = f"{marks[result.status]} {result.name}: {result.detail}"
    return line + (f"{marks['fix']}{result.fix}" if result.fix else "")


def summary(results: Iterable[CheckResult]) -> dict[str, int]:
    counts = {"pass": 0, "warn": 0, "fail": 0, "skip": 0}
    for result in results:
        counts[result.status] += 1
    return counts
