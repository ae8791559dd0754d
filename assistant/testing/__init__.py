"""Helpers for the assistant's tests and benchmarks (stand-in model files); not used at run time."""
