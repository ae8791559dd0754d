"""Sound devices: the list PortAudio sees, finding the one a setting names, and saying why one cannot be used.

A device setting may be an index from `assistant devices`, an ALSA hardware name (`hw:1,0`, `hw:CARD=USB`,
`plughw:CARD=seeed2micvoicec,DEV=0`), a PortAudio device name (`default`, `pulse`) or part of one (`USB`).
PortAudio lists each card's hardware devices as "card name: device name (hw:N,M)"; ALSA card ids
(seeed2micvoicec) are mapped to card numbers through /proc/asound/cards.

When a device is missing or cannot be opened, `diagnose` looks at the system the way a maker would (is there
a card at all, may this user open /dev/snd, does a sound server hold the card) and says what to do.
"""

from __future__ import annotations

import grp
import logging
import os
import pwd
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assistant.errors import AssistantError

log = logging.getLogger(__name__)

Kind = Literal["input", "output"]
PROC_ASOUND = Path("/proc/asound")
DEV_SND = Path("/dev/snd")
SOUND_SERVERS = ("pulseaudio", "pipewire", "pipewire-pulse", "wireplumber", "jackd")

_HW_IN_NAME = re.compile(r"\((?:plug)?hw:(\d+),(\d+)\)\s*$")
_HW_SPEC = re.compile(r"^(?P<plug>plug)?hw:(?:CARD=)?(?P<card>[^,]+)(?:,(?:DEV=)?(?P<dev>\d+))?$")
_CARD_LINE = re.compile(r"^\s*(\d+)\s+\[(\S+)\s*\]:\s*(.*?)\s+-\s+(.*)$")


class AudioDeviceError(AssistantError):
    """A sound device is missing, busy or refuses the format; the message says which and how to fix it.

    Not a configuration error (exit code 1, not 78): a USB card that is not there yet at boot may be there
    when systemd restarts the service.
    """


@dataclass(frozen=True)
class DeviceInfo:
    """One device as PortAudio lists it."""

    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    default_input: bool = False
    default_output: bool = False

    @property
    def hw(self) -> tuple[int, int] | None:
        """(card, device) of a hardware device, parsed from its "(hw:N,M)" suffix."""
        found = _HW_IN_NAME.search(self.name)
        return (int(found.group(1)), int(found.group(2))) if found else None

    def channels(self, kind: Kind) -> int:
        return self.max_input_channels if kind == "input" else self.max_output_channels

    def label(self) -> str:
        return f"[{self.index}] {self.name}"


@dataclass(frozen=True)
class Card:
    """One line of /proc/asound/cards."""

    number: int
    id: str  # what CARD= names: seeed2micvoicec
    driver: str
    name: str


def read_cards(proc: Path = PROC_ASOUND) -> list[Card]:
    try:
        text = (proc / "cards").read_text()
    except OSError:
        return []
    cards = []
    for line in text.splitlines():
        found = _CARD_LINE.match(line)
        if found:
            cards.append(Card(int(found.group(1)), found.group(2), found.group(3), found.group(4)))
    return cards


# ----------------------------------------------------------------------------------------------- finding


def default_input_channels(device: DeviceInfo) -> int:
    """Channels to open when audio.input_channels is 0: all of a hardware device's (a mic array's), but at
    most 2 of a software device (default, pulse), which claims 32 or 128 it does not really have."""
    limit = 8 if device.hw else 2
    return max(1, min(device.max_input_channels, limit))


def output_channels(device: DeviceInfo) -> int:
    """Stereo where the speaker takes it, mono on a mono-only one; the speech is the same on every channel."""
    return 1 if device.max_output_channels == 1 else 2


def find_device(
    spec: str,
    kind: Kind,
    devices: list[DeviceInfo],
    *,
    setting: str | None = None,
    cards: list[Card] | None = None,
) -> DeviceInfo:
    """The device that `spec` names among those with `kind` channels (see the module docstring)."""
    setting = setting or f"audio.{kind}_device"
    usable = [d for d in devices if d.channels(kind) > 0]
    spec = spec.strip()
    if not spec:
        for device in usable:
            if (device.default_input if kind == "input" else device.default_output):
                return device
        raise AudioDeviceError(_missing(f"there is no default {kind} device", kind, usable, setting))
    if spec.isdigit():
        for device in usable:
            if device.index == int(spec):
                return device
        what = f'{setting} = "{spec}": no {kind} device has index {spec}'
        raise AudioDeviceError(_missing(what, kind, usable, setting))
    for device in usable:
        if device.name == spec:
            return device
    hw = _HW_SPEC.match(spec)
    if hw:
        return _find_hw(spec, hw, kind, usable, setting, read_cards() if cards is None else cards)
    matches = [d for d in usable if spec.lower() in d.name.lower()]
    if not matches:
        raise AudioDeviceError(_missing(f'{setting} = "{spec}": no {kind} device matches', kind, usable, setting))
    if len(matches) > 1:
        log.warning(
            '%s = "%s" matches %d devices (%s); using %s', setting, spec, len(matches),
            ", ".join(m.label() for m in matches), matches[0].label(),
        )
    return matches[0]


def _find_hw(
    spec: str, hw: re.Match[str], kind: Kind, usable: list[DeviceInfo], setting: str, cards: list[Card]
) -> DeviceInfo:
    card_text, dev = hw.group("card"), int(hw.group("dev") or 0)
    if card_text.isdigit():
        card = int(card_text)
    else:
        by_id = {c.id: c.number for c in cards}
        if card_text not in by_id:
            known = ", ".join(f"{c.id} (card {c.number})" for c in cards) or "none"
            raise AudioDeviceError(
                f'{setting} = "{spec}": there is no sound card with the id {card_text} (cards: {known}); '
                f"`arecord -l` / `aplay -l` list them" + _system_hint()
            )
        card = by_id[card_text]
    for device in usable:
        if device.hw == (card, dev):
            if hw.group("plug"):
                log.info("%s = %s: opening %s; PortAudio converts the sample format and the assistant "
                         "resamples, as plughw would", setting, spec, device.label())
            return device
    what = f'{setting} = "{spec}": card {card} device {dev} has no {kind}'
    raise AudioDeviceError(_missing(what, kind, usable, setting))


def _missing(what: str, kind: Kind, usable: list[DeviceInfo], setting: str) -> str:
    if not usable:
        return f"{what}: no {kind} device at all. {diagnose()}"
    names = "; ".join(d.label() for d in usable)
    return f"{what}. {kind.capitalize()} devices: {names}. Set {setting} to one of them (see `assistant devices`)"


# ------------------------------------------------------------------------------------------- diagnosing


def diagnose(device: DeviceInfo | None = None, *, proc: Path = PROC_ASOUND, dev: Path = DEV_SND) -> str:
    """Why sound devices are missing or `device` cannot be opened, with the fix; "" when nothing is found."""
    cards = read_cards(proc)
    if not cards:
        return (
            "No sound card found: the kernel lists none in /proc/asound/cards. Plug in a USB microphone and "
            "speaker, or enable the sound HAT's overlay (dtoverlay=... in /boot/firmware/config.txt) and reboot; "
            "`arecord -l` and `aplay -l` show what the kernel sees."
        )
    user = _user_name()
    if dev.is_dir() and not _can_open_sound_devices(dev):
        in_group = _in_audio_group()
        return (
            f"User {user} may not open the sound devices in {dev}"
            + ("" if in_group else f" (not in the 'audio' group): sudo usermod -aG audio {user}, then log in again")
            + "; the assistant's service unit runs with SupplementaryGroups=audio."
        )
    if device is not None and device.hw:
        holder = card_holder(*device.hw, proc=proc)
        if holder:
            return (
                f"{device.name} is in use by {holder}. A sound server holds the card: open the device "
                '"default" (or "pulse") to go through it, or stop it to use the card directly '
                "(systemctl --user stop pipewire pipewire-pulse wireplumber pulseaudio)."
            )
    servers = running_sound_servers(proc_root=proc.parent)
    if servers and device is not None and device.hw:
        return (
            f"A sound server is running ({', '.join(servers)}) and may hold the card: use the device "
            '"default" or "pulse" instead of the hardware device, or stop the server.'
        )
    return ""


def card_holder(card: int, dev: int, *, proc: Path = PROC_ASOUND) -> str:
    """"name (pid N)" of the process that has card/dev open for capture or playback, or ""."""
    for status in sorted(proc.glob(f"card{card}/pcm{dev}[cp]/sub*/status")):
        try:
            text = status.read_text()
        except OSError:
            continue
        found = re.search(r"owner_pid\s*:\s*(\d+)", text)
        if found:
            pid = int(found.group(1))
            try:
                name = (proc.parent / str(pid) / "comm").read_text().strip()
            except OSError:
                name = "another process"
            return f"{name} (pid {pid})"
    return ""


def running_sound_servers(*, proc_root: Path = Path("/proc")) -> list[str]:
    found = set()
    for comm in proc_root.glob("[0-9]*/comm"):
        try:
            name = comm.read_text().strip()
        except OSError:
            continue
        if name in SOUND_SERVERS:
            found.add(name)
    return sorted(found)


def _can_open_sound_devices(dev: Path) -> bool:
    nodes = [p for p in dev.iterdir() if p.name.startswith(("pcm", "control"))]
    return not nodes or any(os.access(p, os.R_OK | os.W_OK) for p in nodes)


def _in_audio_group() -> bool:
    try:
        return grp.getgrnam("audio").gr_gid in os.getgroups()
    except KeyError:
        return False


def _user_name() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def _system_hint() -> str:
    hint = diagnose()
    return f". {hint}" if hint else ""
