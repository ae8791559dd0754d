"""`assistant bench soak`: the growth verdicts on made-up samples, and the bench itself on a few turns."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.bench.soak import THRESHOLDS, Sample, growth, slope_per_100, warmup_turns
from assistant.cli import main
from assistant.errors import EXIT_OK


def _samples(turns: range, **series: Callable[[int], float]) -> list[Sample]:
    """One sample per turn; every resource flat unless given as a function of the turn."""
    flat = {"rss_mb": 300.0, "blocks": 200_000.0, "gc_objects": 50_000.0, "threads": 8.0, "fds": 11.0, "queued": 0.0}
    return [Sample(t, {**flat, **{name: f(t) for name, f in series.items()}}) for t in turns]


def _steady(rows: list[dict[str, object]]) -> dict[object, object]:
    return {row["resource"]: row["steady"] for row in rows}


def test_the_slope_is_per_100_turns() -> None:
    assert slope_per_100([10, 20, 30], [1.0, 2.0, 3.0]) == pytest.approx(10.0)
    assert slope_per_100([5, 5], [1.0, 2.0]) is None  # no turns between the samples: no slope


def test_flat_resources_with_noise_and_moments_are_steady() -> None:
    samples = _samples(
        range(0, 300),
        rss_mb=lambda t: 300.0 + (t % 7) * 0.1,  # jitter, no trend
        fds=lambda t: 13.0 if t % 10 == 3 else 11.0,  # a file open for a moment, now and then
        queued=lambda t: float(t % 2),
    )
    rows = growth(samples, warmup_turns(300))
    assert all(_steady(rows).values())
    assert rows[0]["first"] == pytest.approx(300.0 + (60 % 7) * 0.1)  # the first sample after the warm-up


def test_growth_fails() -> None:
    per_turn = 2 * THRESHOLDS["blocks"] / 100  # twice what is allowed
    samples = _samples(
        range(0, 300),
        blocks=lambda t: 200_000.0 + per_turn * t,
        threads=lambda t: 8.0 + (t >= 200),  # one thread more, for good
        rss_mb=lambda t: 5000.0 if t < 60 else 300.0,  # the warm-up is left out
    )
    rows = growth(samples, warmup_turns(300))
    assert _steady(rows) == {"rss_mb": True, "blocks": False, "gc_objects": True, "threads": False, "fds": True,
                             "queued": True}
    assert next(r for r in rows if r["resource"] == "blocks")["per_100_turns"] == pytest.approx(100 * per_turn)


def test_a_run_too_short_to_span_turns_after_the_warm_up_is_not_judged() -> None:
    rows = growth(_samples(range(0, 6)), warmup_turns(6))  # one sample after the warm-up
    assert {r["steady"] for r in rows} == {None} and {r["per_100_turns"] for r in rows} == {None}


@pytest.mark.slow
def test_the_bench_on_a_few_turns(
    clean_env: Path, test_set_config: Callable[..., Path], shared_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = test_set_config(llm={"max_tokens": 20})
    assert main(["--config", str(config), "bench", "soak", "--turns", "6", "--audio", str(shared_audio),
                 "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["benchmark"] == "soak" and report["finished"] is True
    assert report["turns"] == 6 and report["warmup_turns"] == 5
    assert report["answered"] >= 5 and report["failures"] == 0 and report["dropped_messages"] == 0
    assert report["room_s"] > 6 * 2.0  # six commands of about 2..4 s each, and their replies
    assert report["heap_trims"] >= 4 and 0 < report["heap_trim_ms"] <= report["heap_trim_max_ms"]  # between turns
    assert {r["resource"] for r in report["rows"]} == {"rss_mb", "blocks", "gc_objects", "threads", "fds", "queued"}
    assert all({"first", "last", "max", "per_100_turns", "allowed", "steady"} <= set(r) for r in report["rows"])
    threads = next(r for r in report["rows"] if r["resource"] == "threads")
    assert threads["first"] >= 7  # audio, five stages and the supervisor besides this one: the pipeline is running
