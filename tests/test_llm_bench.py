"""`assistant bench llm` measures the prefix cache and cancellation (on the tiny stand-in, for speed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import EXIT_OK

pytest.importorskip("llama_cpp")


def test_bench_llm_json(clean_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT__LLM__N_THREADS", "1")
    assert main(["bench", "llm", "--standin", "tiny", "--runs", "2", "--tokens", "16", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["benchmark"] == "language model"
    assert report["prompt_format"] == "the GGUF's chat template"
    assert len(report["rows"]) == 2
    for row in report["rows"]:
        # The cached second turn evaluates only what the uncached one adds to the first turn.
        assert 0 < row["cached_new_tok"] <= row["uncached_prompt_tok"] - row["cold_prompt_tok"]
        assert row["tokens_after_cancel"] <= 1
    assert report["cancel_within_one_token"] is True
    for key in ("cold_ttft_ms", "cached_ttft_ms", "uncached_ttft_ms", "prompt_tok_s"):
        assert report[key] > 0
    assert report["cancel_prompt_ms"] >= 0
