"""What several subcommands share: loading the config named on the command line, logging set-up."""

from __future__ import annotations

import argparse
import os

from assistant.config import LoadedConfig, load_config
from assistant.logs import setup_logging


def load(args: argparse.Namespace, *, logging: bool = True) -> LoadedConfig:
    """The effective configuration for this command line (raises ConfigError with every problem)."""
    loaded = load_config(getattr(args, "config", None), os.environ)
    if logging:
        setup_logging(getattr(args, "log_level", None) or loaded.config.general.log_level)
    return loaded
