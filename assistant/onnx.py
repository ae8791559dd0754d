"""ONNX Runtime sessions for the small models (Silero VAD, openWakeWord, Piper), made one way.

Every session is created once per model file with the configured thread count, and a model file that is
missing, empty, truncated or of the wrong kind becomes a `ModelError` naming the file and what was expected,
never a crash inside ONNX Runtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import ModelError

if TYPE_CHECKING:
    import onnxruntime

FLOAT = "tensor(float)"
INT64 = "tensor(int64)"


@dataclass(frozen=True)
class TensorSpec:
    """What a model input or output must look like. `None` matches any name or any size."""

    name: str | None
    shape: tuple[int | None, ...]
    dtype: str = FLOAT

    def describe(self) -> str:
        dims = ",".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.name or '(any name)'}[{dims}] {_dtype_name(self.dtype)}"

    def matches(self, name: str, shape: Sequence[object] | None, dtype: str) -> bool:
        if (self.name is not None and name != self.name) or dtype != self.dtype:
            return False
        if shape is None:  # rank unknown: accept, the smoke run will tell
            return True
        if len(shape) != len(self.shape):
            return False
        # A dimension the model leaves symbolic (a string or None) accepts any expected size.
        return all(want is None or not isinstance(have, int) or have == want for want, have in zip(
            self.shape, shape, strict=True
        ))


def _dtype_name(dtype: str) -> str:
    name = dtype.removeprefix("tensor(").removesuffix(")")
    return "float32" if name == "float" else name


def _describe_actual(args: Sequence[onnxruntime.NodeArg]) -> str:
    parts = []
    for arg in args:
        dims = ",".join(str(d) if isinstance(d, int) else "?" for d in (arg.shape or []))
        parts.append(f"{arg.name}[{dims}] {_dtype_name(arg.type)}")
    return ", ".join(parts) or "nothing"


def check_model_file(path: Path, what: str) -> Path:
    """`path` if it is a non-empty file; otherwise a ModelError that says what is wrong and how to fix it."""
    path = Path(path).expanduser()
    fix = "install it with `assistant models pull` or point the config at the right file"
    if not path.exists():
        raise ModelError(f"{path}: {what} not found; {fix}")
    if not path.is_file():
        raise ModelError(f"{path}: {what} must be a file, found a folder; {fix}")
    if path.stat().st_size == 0:
        raise ModelError(f"{path}: {what} is empty (an interrupted download?); {fix}")
    return path


def open_session(
    path: Path,
    what: str,
    *,
    threads: int = 1,
    inputs: Sequence[TensorSpec] = (),
    outputs: Sequence[TensorSpec] = (),
) -> onnxruntime.InferenceSession:
    """An ONNX Runtime CPU session on `path`, checked against the expected inputs and outputs.

    `what` names the model for messages ("Silero VAD model"). `threads` sets intra-op threads; inter-op is 1
    because these graphs are sequential and small, and extra pools only steal cores from the other stages.
    """
    import onnxruntime

    path = check_model_file(path, what)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only: ORT's warnings about unused initializers are noise here
    # Extra intra-op threads otherwise spin between these 10-30 ms runs: with 2 threads the always-on path
    # (VAD + wake word) took 55% of a core instead of 10% (`assistant bench idle`, onnx_threads = 2).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own pybind classes (InvalidProtobuf, Fail, ...)
        raise ModelError(
            f"{path}: ONNX Runtime cannot load this {what} ({_first_line(exc)}); the file is truncated or not an "
            "ONNX model: download it again (`assistant models verify` checks the sha256)"
        ) from exc
    _check_signature(session, path, what, inputs, outputs)
    return session


def _check_signature(
    session: onnxruntime.InferenceSession,
    path: Path,
    what: str,
    inputs: Sequence[TensorSpec],
    outputs: Sequence[TensorSpec],
) -> None:
    for kind, specs, actual in (("inputs", inputs, session.get_inputs()), ("outputs", outputs, session.get_outputs())):
        if not specs:
            continue
        ok = len(actual) == len(specs) and all(
            spec.matches(arg.name, arg.shape, arg.type) for spec, arg in zip(specs, actual, strict=True)
        )
        if not ok:
            expected = ", ".join(s.describe() for s in specs)
            raise ModelError(
                f"{path}: wrong model: the {what} needs {kind} {expected}; this file has {_describe_actual(actual)}. "
                "Check that the config names the right model file."
            )


def run_checked(session: onnxruntime.InferenceSession, feeds: dict[str, object], path: Path, what: str) -> list:
    """`session.run`, with a failure turned into a ModelError: used for the one smoke run at load time."""
    try:
        return session.run(None, feeds)
    except Exception as exc:
        raise ModelError(
            f"{path}: the {what} loads but fails on a test input ({_first_line(exc)}); is it the right model?"
        ) from exc


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
