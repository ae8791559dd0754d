"""Offline voice assistant: microphone to speaker on one small board, no byte leaves the device."""

__version__ = "0.1.0"
