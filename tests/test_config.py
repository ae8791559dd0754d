"""The configuration: lookup order, typed checking, one precise error per problem, env overrides, example."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from assistant import paths
from assistant.cli import main
from assistant.config import (
    Config,
    ConfigError,
    all_keys,
    example_toml,
    find_config_file,
    load_config,
    render,
)
from assistant.errors import EXIT_CONFIG


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems_of(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env or {})
    return [str(p) for p in caught.value.problems]


def test_defaults_without_any_file(clean_env: Path) -> None:
    loaded = load_config(None, {"HOME": str(clean_env)})
    assert loaded.config == Config()
    assert loaded.path is None
    assert "defaults" in loaded.path_reason
    assert loaded.source_of("vad.threshold") == "default"


def test_lookup_order_cli_then_env_then_user(clean_env: Path) -> None:
    home = clean_env / "home"
    user = write(home / ".config/assistant/assistant.toml", "")
    from_env = write(clean_env / "env.toml", "")
    cli = write(clean_env / "cli.toml", "")
    env = {"HOME": str(home), "ASSISTANT_CONFIG": str(from_env)}
    assert find_config_file(cli, env) == (cli, "given with --config")
    assert find_config_file(None, env) == (from_env, "$ASSISTANT_CONFIG")
    found, why = find_config_file(None, {"HOME": str(home)})
    if not paths.SYSTEM_CONFIG.is_file():  # a machine with the service installed would find /etc first
        assert (found, why) == (user, "user config")


def test_values_are_typed_and_sources_recorded(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.toml",
        """
[vad]
threshold = 0.6
hangover_ms = 500
[frontend]
playback_delay_ms = 12
[[wake.words]]
model = "oww-alexa"
threshold = 0.4
[[wake.words]]
model = "/models/my_word.onnx"
""",
    )
    loaded = load_config(path, {})
    assert loaded.config.vad.threshold == 0.6
    assert loaded.config.vad.hangover_ms == 500
    assert loaded.config.frontend.playback_delay_ms == 12.0
    assert [w.model for w in loaded.config.wake.words] == ["oww-alexa", "/models/my_word.onnx"]
    assert loaded.config.wake.words[1].threshold == 0.35  # the default of an absent key in a table of a list
    assert loaded.source_of("vad.threshold") == f"file {path}"
    assert loaded.source_of("vad.min_speech_ms") == "default"


def test_three_precise_errors_for_typo_type_and_range(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.toml", '[vad]\ntreshold = 0.3\nmin_speech_ms = "long"\n[llm]\ntemperature = 9\n'
    )
    problems = problems_of(path)
    assert len(problems) == 3
    typo, wrong_type, out_of_range = problems
    assert str(path) in typo and "vad.treshold" in typo and "did you mean 'vad.threshold'" in typo
    assert 'vad.min_speech_ms: "long" is not allowed (allowed: an integer)' in wrong_type
    assert "llm.temperature: 9 is out of range (allowed: 0.0 to 2.0)" in out_of_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[vad]\nthreshold = true\n", "vad.threshold: true is not allowed (allowed: a number)"),
        (
            '[audio]\nbackend = "alsa"\n',
            'audio.backend: "alsa" is not allowed (allowed: one of "sounddevice", "pyaudio")',
        ),
        ("[audio]\nblock_ms = 15\n", "audio.block_ms: 15 is not allowed (allowed: one of 10, 20)"),
        ('[frontend]\nplayback_delay_ms = "soon"\n', 'allowed: a number or one of "auto"'),
        ('[wake]\nwords = "hey"\n', 'wake.words: "hey" is not allowed (allowed: a list of tables)'),
        (
            '[[wake.words]]\nmodle = "x"\n',
            "wake.words[0].modle: unknown key (did you mean 'wake.words[0].model'?",
        ),
        ("vad = 3\n", "vad: 3 is not allowed (allowed: a table)"),
        ("[sound]\nx = 1\n", "sound: unknown key (allowed in the top level: general, models"),
        ("[vad]\nthreshold = 0.5\nthreshold = 0.6\n", "not valid TOML"),
    ],
)
def test_each_kind_of_problem_is_named(tmp_path: Path, text: str, expected: str) -> None:
    problems = problems_of(write(tmp_path / "c.toml", text))
    assert len(problems) == 1
    assert expected in problems[0]


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    (missing,) = problems_of(tmp_path / "nope.toml")
    assert "file not found" in missing and "assistant config example" in missing
    binary = tmp_path / "latin1.toml"
    binary.write_bytes(b'[tts]\nespeak_voice = "caf\xe9"\n')
    (not_utf8,) = problems_of(binary)
    assert "not UTF-8" in not_utf8 or "not valid TOML" in not_utf8
    (folder,) = problems_of(tmp_path)
    assert "is a folder" in folder


def test_environment_overrides_single_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "a.toml", "[llm]\nn_threads = 2\n")
    env = {
        "ASSISTANT__LLM__N_THREADS": "4",
        "ASSISTANT__TTS__ESPEAK_VOICE": "de",
        "ASSISTANT_MODELS_DIR": "/m",
    }
    loaded = load_config(path, env)
    assert loaded.config.llm.n_threads == 4
    assert loaded.config.tts.espeak_voice == "de"  # a bare word is taken as a string
    assert loaded.config.models.dir == "/m"
    assert loaded.source_of("llm.n_threads") == "env ASSISTANT__LLM__N_THREADS"
    assert loaded.source_of("models.dir") == "env ASSISTANT_MODELS_DIR"


def test_bad_environment_override_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(
            None, {"HOME": str(tmp_path), "ASSISTANT__VAD__TRESHOLD": "0.2", "ASSISTANT__LLM__TOP_P": "7"}
        )
    text = str(caught.value)
    assert "environment variable ASSISTANT__VAD__TRESHOLD: vad.treshold: unknown key" in text
    assert "environment variable ASSISTANT__LLM__TOP_P: llm.top_p: 7 is out of range" in text


def test_example_file_is_complete_valid_and_in_sync(tmp_path: Path) -> None:
    shipped = paths.PACKAGE_DIR / "data" / "assistant.example.toml"
    assert shipped.read_text() == example_toml(), "regenerate: assistant config example > " + str(shipped)
    raw = tomllib.loads(example_toml())
    written = {f"{s}.{k}" for s, table in raw.items() for k in table}
    assert written == set(all_keys())
    assert load_config(write(tmp_path / "ex.toml", example_toml()), {}).config == Config()


def test_every_setting_is_documented() -> None:
    for section in dataclasses.fields(Config):
        cls = section.default_factory  # type: ignore[misc]
        assert (cls.__doc__ or "").strip(), section.name
        for fld in dataclasses.fields(cls):
            assert fld.metadata.get("doc"), f"{section.name}.{fld.name} has no documentation"


def test_render_round_trips(tmp_path: Path) -> None:
    path = write(tmp_path / "a.toml", '[tts]\nvoice = "a \\"quoted\\" name"\n[[wake.words]]\nmodel = "w"\n')
    loaded = load_config(path, {})
    again = load_config(write(tmp_path / "b.toml", render(loaded.config, source_of=loaded.source_of)), {})
    assert again.config == loaded.config


def test_cli_config_check_exits_non_zero_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "bad.toml", '[vad]\ntreshold = 0.3\nmin_speech_ms = "long"\n[llm]\ntemperature = 9\n'
    )
    assert main(["config", "check", str(path)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "invalid configuration (3 problems)" in err
    assert err.count(str(path)) == 3


def test_cli_config_show_names_sources(
    clean_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(clean_env / "a.toml", "[llm]\nn_ctx = 4096\n")
    monkeypatch.setenv("ASSISTANT__LLM__N_THREADS", "3")
    assert main(["--config", str(path), "config", "show"]) == 0
    out = capsys.readouterr().out
    assert f"n_ctx = 4096  # file {path}" in out
    assert "n_threads = 3  # env ASSISTANT__LLM__N_THREADS" in out
    assert "max_tokens = 200  # default" in out


def test_cli_config_check_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "ok.toml", "[vad]\nthreshold = 0.4\n")
    assert main(["config", "check", str(path)]) == 0
    assert "OK" in capsys.readouterr().out
