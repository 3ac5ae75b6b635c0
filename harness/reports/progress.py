"""The live progress bar of `run` on a terminal (rich, which Typer brings), and lines printed above it.

Its total is the number of cases the run reports: unknown ("?") until the search-oracle suite has
been generated from the loaded dataset, then exact. Used only when the stream is a terminal; CI logs
get plain lines instead (harness.reports.console).
"""

from __future__ import annotations

from typing import IO

from rich.console import Console as RichConsole
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text


class LiveBar:
    """One task: cases finished out of cases planned."""

    def __init__(self, stream: IO[str], total: int | None) -> None:
        self.console = RichConsole(file=stream, highlight=False, markup=False, emoji=False)
        self.progress = Progress(TextColumn("cases"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[failed]}"), TimeElapsedColumn(),
                                 console=self.console, transient=False, refresh_per_second=8)
        self.failed = 0
        self.task = self.progress.add_task("cases", total=total, failed="")
        self.progress.start()

    @property
    def width(self) -> int:
        return self.console.width

    def set_total(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self, failed: bool) -> None:
        self.failed += failed
        self.progress.update(self.task, advance=1,
                             failed=f"{self.failed} failed or error" if self.failed else "")

    def print(self, line: str) -> None:
        """A line above the bar (the text is printed as is: no markup, no highlighting)."""
        self.progress.console.print(Text(line), soft_wrap=True)

    def close(self) -> None:
        self.progress.refresh()
        self.progress.stop()
