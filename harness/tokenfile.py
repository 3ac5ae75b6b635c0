"""`run --token-file`: the bearer token read from a file, so it need not sit in the process list
(`ps` shows every argument of every process to every user) nor in the shell's history."""

from __future__ import annotations

from pathlib import Path

MAX_TOKEN = 64 * 1024


class TokenFileError(Exception):
    """Why the token file cannot be used; the message never holds any of the file's content."""


def read_token(path: Path) -> str:
    """The token: the file's first line, surrounding white space removed."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_TOKEN + 1)
    except OSError as e:
        raise TokenFileError(f"cannot read --token-file {path}: {e.strerror or type(e).__name__}") from None
    if len(data) > MAX_TOKEN:
        raise TokenFileError(f"--token-file {path} is larger than {MAX_TOKEN} bytes: not a token file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TokenFileError(f"--token-file {path} is not UTF-8 text") from None
    lines = text.strip().splitlines()
    token = lines[0].strip() if lines else ""
    if not token:
        raise TokenFileError(f"--token-file {path} is empty")
    if not token.isprintable() or not token.isascii():  # it goes into an HTTP header
        raise TokenFileError(f"--token-file {path}: the token holds characters an HTTP header cannot carry")
    return token
