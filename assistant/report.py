"""Output of measurements: a readable table by default, one JSON object with `--json`, progress on stderr.

Every `assistant bench ...` command reports through `emit`: scripts read the same figures a person sees.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return "-" if value is None else str(value)


def format_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows as an aligned text table; columns default to the keys of the first row."""
    if not rows:
        return "(no rows)"
    columns = list(columns or rows[0].keys())
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(row.get(c), int | float) or row.get(c) is None for row in rows) for c in columns
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        )

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]).rstrip()


def emit(
    title: str,
    summary: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]] = (),
    *,
    as_json: bool = False,
    out: TextIO | None = None,
) -> None:
    """Print a benchmark's figures: `summary` (name -> value) and optional per-item `rows`."""
    out = out or sys.stdout
    if as_json:
        json.dump({"benchmark": title, **summary, "rows": list(rows)}, out, default=str)
        out.write("\n")
        return
    out.write(f"{title}\n")
    if rows:
        out.write(format_table(rows) + "\n\n")
    width = max((len(k) for k in summary), default=0)
    for key, value in summary.items():
        out.write(f"  {key.ljust(width)}  {_cell(value)}\n")


class Progress:
    """A progress line on stderr: redrawn in place on a terminal, a line every 10% otherwise (logs, CI)."""

    def __init__(
        self, total: float | None, label: str, *, unit: str = "", stream: TextIO | None = None
    ) -> None:
        self.total = total
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.done = 0.0
        self._tty = self.stream.isatty()
        self._last_decile = -1
        self._last_draw = 0.0

    def advance(self, amount: float = 1.0) -> None:
        self.update(self.done + amount)

    def update(self, done: float) -> None:
        self.done = done
        if self._tty:
            now = time.monotonic()
            finished = bool(self.total and done >= self.total)
            if now - self._last_draw >= 0.1 or finished:
                self._last_draw = now
                # The finished bar ends its line, so the next output starts on a fresh one.
                self.stream.write("\r" + self._text() + ("\n" if finished else ""))
                self.stream.flush()
        elif self.total:
            decile = int(10 * min(done / self.total, 1.0))
            if decile > self._last_decile:
                self._last_decile = decile
                self.stream.write(self._text() + "\n")

    def _text(self) -> str:
        if not self.total:
            return f"{self.label}: {_amount(self.done, self.unit)}"
        fraction = min(self.done / self.total, 1.0)
        bar = "#" * int(30 * fraction)
        return f"{self.label} [{bar:<30}] {100 * fraction:5.1f}% of {_amount(self.total, self.unit)}"

    def close(self) -> None:
        if self._tty and not (self.total and self.done >= self.total):
            self.stream.write("\n")
            self.stream.flush()


def _amount(value: float, unit: str) -> str:
    if unit == "B":
        for scale, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= scale:
                return f"{value / scale:.1f} {name}"
        return f"{value:.0f} B"
    return f"{value:g}{unit}"
