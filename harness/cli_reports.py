"""The report options of the command line, derived from the report registry (harness/reports/registry.py)
when the command line is imported: `run`'s `--NAME FILE` option per run format and `validate --format`'s
choices. Nothing here names a format, so a new format needs no change to the command line."""

from __future__ import annotations

import functools
import inspect
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from harness.reports.registry import RUN, VALIDATION, VALIDATION_DEFAULT, ReportFormat, formats

#: the parameter of `run` that with_report_files replaces by the per-format options
REPORT_FILES = "report_files"


def _file_help(f: ReportFormat) -> str:
    return f"{f.help} (default REPORTS-DIR/{f.file})." if f.default else f"{f.help}; written only when given."


def with_report_files(command):
    """`command` with its `report_files` parameter replaced, in place, by one `--NAME FILE` option per
    run format; the command receives them as report_files={name: Path or None}."""
    run_formats = formats(RUN)
    signature = inspect.signature(command, eval_str=True)
    taken = {decl for p in signature.parameters.values()
             for decl in getattr(p.default, "param_decls", None) or ()}
    options = {}
    for name, f in run_formats.items():
        if f"--{name}" in taken:
            raise ValueError(f"report format {name!r}: --{name} is already an option of {command.__name__}")
        options[f"{REPORT_FILES}_{len(options)}"] = (name, typer.Option(None, f"--{name}", help=_file_help(f)))
    params = []
    for p in signature.parameters.values():
        if p.name != REPORT_FILES:
            params.append(p)
            continue
        params += [inspect.Parameter(key, p.kind, default=option, annotation=Optional[Path])
                   for key, (_, option) in options.items()]

    @functools.wraps(command)
    def derived(**kwargs):
        files = {name: kwargs.pop(key) for key, (name, _) in options.items()}
        return command(**kwargs, **{REPORT_FILES: files})

    derived.__signature__ = signature.replace(parameters=params)
    derived.__annotations__ = {p.name: p.annotation for p in params}
    return derived


#: `validate --format`'s choices: the formats that render validation results
ValidationFormat = Enum("ValidationFormat", {name: name for name in formats(VALIDATION)}, type=str)


def format_option():
    """The `--format` option of `validate`."""
    choices = "; ".join(f"{name}: {f.help}" for name, f in formats(VALIDATION).items())
    return typer.Option(ValidationFormat(VALIDATION_DEFAULT), "--format", help=f"Output format ({choices}).")
