"""`assistant chat`: one reply with --once, a REPL whose Ctrl-C stops the reply and not the REPL; the device's
skills answer first, as they do a spoken turn, and a timer set in the chat rings in it."""

from __future__ import annotations

import io
import signal
import time
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


def test_with_no_model_installed_the_skills_and_built_in_answers_reply(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(clean_env / "models"))
    assert main(["chat", "--once", "What is 15 times 23?"]) == EXIT_OK
    assert capsys.readouterr().out == "15 times 23 is 345.\n"
    assert main(["chat", "--once", "Why is the sky blue?"]) == EXIT_OK
    assert "assistant models pull dash dash default" in capsys.readouterr().out  # what the voice says, too


def test_the_skills_answer_before_the_model(stories: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--model", str(stories), "--once", "how many ounces in a pound"]) == EXIT_OK
    assert capsys.readouterr().out == "There are 16 ounces in a pound.\n"
    assert main(["chat", "--model", str(stories), "--once", "what can you do"]) == EXIT_OK
    assert "set timers" in capsys.readouterr().out  # the device says what it can do, not the model


def test_no_skills_sends_every_line_to_the_model(stories: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--model", str(stories), "--no-skills", "--once", "how many ounces in a pound"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.strip() and "16 ounces" not in out


class _Typist(io.StringIO):
    """Standard input that types each line once the output shows the text it waits for (None: at once)."""

    def __init__(self, lines: list[tuple[str | None, str]], out: io.StringIO) -> None:
        super().__init__()
        self.lines, self.out = lines, out

    def readline(self, *args: object) -> str:
        if not self.lines:
            return ""  # Ctrl-D
        wait_for, line = self.lines.pop(0)
        deadline = time.monotonic() + 10
        while wait_for is not None and wait_for not in self.out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        return line + "\n"


def test_a_timer_set_in_the_chat_rings_in_it(stories: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    typed = [(None, "set a timer for 2 seconds"), ("is done", "say that again"), (None, "stop")]
    monkeypatch.setattr("sys.stdin", _Typist(typed, out))
    monkeypatch.setattr("sys.stdout", out)
    started = time.monotonic()
    assert main(["chat", "--model", str(stories)]) == EXIT_OK
    shown = out.getvalue()
    assert "(chime) Your two second timer is done.\nyou> " in shown, shown
    assert time.monotonic() - started >= 2
    assert shown.count("Your two second timer is done.") == 2, shown  # "say that again" repeats the ring
    assert shown.endswith("you> (Nothing to stop.)\nyou> ")  # typed, "stop" has nothing to silence


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
