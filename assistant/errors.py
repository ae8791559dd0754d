"""Errors a user can act on, and the exit codes they map to.

Every error names what is wrong, where (file, setting) and the fix. The CLI prints the message without a
traceback and exits with the error's code; systemd's `RestartPreventExitStatus` lists the configuration
code so that a broken config or a missing model does not cause a restart loop.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
# sysexits.h EX_CONFIG: the service unit stops restarting on it; a human has to fix something.
EXIT_CONFIG = 78


class AssistantError(Exception):
    """A problem with a clear message for the user; `exit_code` is what the process exits with."""

    exit_code = EXIT_FAILURE


class ConfigurationError(AssistantError):
    """Something the user configured (a file, a setting, a model) is wrong or missing."""

    exit_code = EXIT_CONFIG


class ModelError(ConfigurationError):
    """A model file is missing, truncated or not of the format its engine needs."""


class MissingExtraError(ConfigurationError):
    """An optional engine was chosen but its Python package is not installed."""

    def __init__(self, engine: str, module: str, extra: str) -> None:
        super().__init__(
            f"the {engine} engine needs the Python package '{module}', which is not installed; "
            f"install it with: pip install 'assistant[{extra}]' (or choose another engine in the config)"
        )
        self.engine = engine
        self.module = module
        self.extra = extra


def import_optional(module: str, *, engine: str, extra: str):
    """Import an optional engine's package where it is chosen, turning ImportError into a clear message."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(engine, module, extra) from exc
