"""Write a file atomically: a temporary file in the same directory, then rename. The file appears
under its name only when complete, with the permissions an ordinary create would give it."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def _umask() -> int:
    try:  # Linux says it without changing it
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere it can only be read by setting it (once, at import)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would create; mkstemp's own 0600 would hide the reports from others


@contextmanager
def atomic_file(path: Path | str) -> Iterator[IO[str]]:
    """A text file to write, put in place under path when the block ends without an exception."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
            os.fchmod(f.fileno(), _MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_atomic(path: Path | str, content: str) -> None:
    with atomic_file(path) as f:
        f.write(content)
