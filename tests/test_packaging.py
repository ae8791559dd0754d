"""The files a maker's machine runs outside Python: the systemd unit and the shell scripts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = [*sorted((REPO / "scripts").glob("*.sh")), REPO / ".ci" / "run"]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (apt-get install shellcheck)")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_pass_shellcheck(script: Path) -> None:
    result = subprocess.run(["shellcheck", "-x", str(script)], cwd=script.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = (REPO / "systemd" / "assistant.service").read_text()
    # verify checks that ExecStart exists; the venv lives in /opt only on an installed board.
    unit = unit.replace("/opt/assistant/venv/bin/assistant", shutil.which("true") or "/bin/true")
    copy = tmp_path / "assistant.service"
    copy.write_text(unit)
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "assistant.service" not in result.stderr, result.stderr  # no warnings about our unit


def test_unit_keeps_the_guarantees_the_readme_promises() -> None:
    unit = (REPO / "systemd" / "assistant.service").read_text()
    for line in (
        "Type=notify",
        "PrivateNetwork=yes",
        "RestartPreventExitStatus=78",
        "Restart=on-failure",
        "SupplementaryGroups=audio",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
    ):
        assert f"\n{line}\n" in unit, line
