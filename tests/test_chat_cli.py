"""`assistant chat`: one reply with --once, a REPL whose Ctrl-C stops the reply and not the REPL."""

from __future__ import annotations

import io
import signal
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import EXIT_CONFIG, EXIT_OK, EXIT_USAGE

pytest.importorskip("llama_cpp")


@pytest.fixture()
def stories(shared_models: Path, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASSISTANT__LLM__MAX_TOKENS", "40")
    monkeypatch.setenv("ASSISTANT__LLM__N_CTX", "512")
    monkeypatch.setenv("ASSISTANT__LLM__N_THREADS", "1")
    return shared_models / "llm" / "stories260K.gguf"


def test_once_prints_the_streamed_reply(stories: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--model", str(stories), "--once", "Once upon a time"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.endswith("\n") and len(out.strip()) > 10


def test_an_empty_prompt_is_a_usage_error(stories: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--model", str(stories), "--once", "  "]) == EXIT_USAGE
    assert "the prompt is empty" in capsys.readouterr().err


def test_a_missing_model_says_which_file(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = clean_env / "none.gguf"
    assert main(["chat", "--model", str(missing), "--once", "Hi"]) == EXIT_CONFIG
    assert f"{missing}: model file not found" in capsys.readouterr().err


def test_no_model_installed_says_how_to_get_one(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(clean_env / "models"))
    assert main(["chat", "--once", "Hi"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "no language model: " in err and "--model" in err


class _Terminal(io.StringIO):
    """Standard output that presses Ctrl-C (SIGINT to this process) once, when the first reply is written."""

    def __init__(self) -> None:
        super().__init__()
        self.pressed = False

    def write(self, text: str) -> int:
        written = super().write(text)
        if not self.pressed and self.getvalue().count("you> ") == 1 and text != "you> ":
            self.pressed = True
            signal.raise_signal(signal.SIGINT)
        return written


def test_ctrl_c_stops_the_reply_and_the_repl_goes_on_until_ctrl_d(
    stories: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdin", io.StringIO("Tell me a story.\nAnd then?\n"))  # then end of input: Ctrl-D
    monkeypatch.setattr("sys.stdout", terminal)
    assert main(["chat", "--model", str(stories)]) == EXIT_OK
    first, second = terminal.getvalue().split("you> ")[1:3]
    assert first.endswith(" [stopped]\n") and len(first) < 40  # cut after one piece
    assert second.strip() and not second.endswith("[stopped]\n")  # the next turn runs to its end


def test_ctrl_c_at_the_prompt_drops_the_line(stories: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Keyboard(io.StringIO):
        interrupted = False

        def readline(self, *args: object) -> str:
            if not self.interrupted:
                self.interrupted = True
                raise KeyboardInterrupt
            return super().readline(*args)

    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", Keyboard("Hello.\n"))
    monkeypatch.setattr("sys.stdout", out)
    assert main(["chat", "--model", str(stories)]) == EXIT_OK
    assert out.getvalue().count("you> ") == 3  # interrupted prompt, the line, end of input
