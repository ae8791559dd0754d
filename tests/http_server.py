"""Test helpers for model installs: a loopback HTTP server with Range support, and generated manifests.

The server runs `http.server` on 127.0.0.1 with a port the OS chooses, in a thread. It serves bytes by URL
path, answers `Range: bytes=N-` with 206, and records every request, so a test can assert what the client
asked for and how many bytes went over the wire. Two faults can be switched on: `cut_after` sends only the
first N bytes of the next response (Content-Length still promises all of them) and then drops the connection;
`ignore_range` answers every request with the whole file and 200, like a server without range support.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"bytes=(\d+)-$")


@dataclass(frozen=True)
class Served:
    """One request as the server saw it."""

    path: str
    range: str | None  # the Range header, if the client sent one
    status: int
    sent: int  # body bytes actually written


@dataclass
class FileServer:
    files: dict[str, bytes]  # URL path (starting with /) -> content
    port: int = 0
    cut_after: int | None = None  # cut the next response after this many body bytes (then reset)
    ignore_range: bool = False
    requests: list[Served] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(state: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = state.files.get(self.path)
            range_header = self.headers.get("Range")
            if body is None:
                state.requests.append(Served(self.path, range_header, 404, 0))
                self.send_error(404)
                return
            start, status = 0, 200
            match = _RANGE.match(range_header or "")
            if match and not state.ignore_range:
                start = int(match.group(1))
                if start >= len(body):
                    state.requests.append(Served(self.path, range_header, 416, 0))
                    self.send_error(416)
                    return
                status = 206
            payload = body[start:]
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.end_headers()
            if state.cut_after is not None:
                # Promise everything (Content-Length above), deliver only a part, then hang up.
                payload, state.cut_after = payload[: state.cut_after], None
                self.close_connection = True
            # Recorded before the body goes out: the client may have read it all and moved on before write returns.
            state.requests.append(Served(self.path, range_header, status, len(payload)))
            self.wfile.write(payload)
            self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest's output clean
            pass

    return Handler


@contextmanager
def serve(files: Mapping[str, bytes]) -> Iterator[FileServer]:
    """A running server for `files` (URL path -> bytes); stopped when the block ends."""
    state = FileServer(dict(files))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------------------------ generated manifests


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_entry(path: str, data: bytes, url: str, **extra: Any) -> dict[str, Any]:
    """A [[model.file]] table for `data`, with its true size and sha256 (override either through extra)."""
    return {"path": path, "url": url, "size": len(data), "sha256": sha256(data), **extra}


def model_entry(name: str, role: str, files: Sequence[Mapping[str, Any]], **extra: Any) -> dict[str, Any]:
    """A [[model]] table; profiles and the rest come through extra."""
    return {"name": name, "role": role, "description": f"test model {name}", "ram_mb": 1, **extra, "file": files}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML here")


def write_manifest(path: Path, models: Sequence[Mapping[str, Any]]) -> Path:
    """A manifest with the three real profiles and `models` (from model_entry), written to `path`."""
    lines = ["schema = 1", ""]
    for profile in ("pi4", "pi5", "jetson"):
        lines += [f"[profiles.{profile}]", f'description = "{profile}"', ""]
    for model in models:
        lines.append("[[model]]")
        lines += [f"{key} = {_value(value)}" for key, value in model.items() if key != "file"]
        for spec in model.get("file", ()):
            lines.append("[[model.file]]")
            lines += [f"{key} = {_value(value)}" for key, value in spec.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
