"""The pytest plugin (entry point `pytest11`): the conformance cases as pytest items, so a team that
already runs pytest in CI gets them in its own report (`--junitxml`, `-k`, `-m`).

It does nothing unless asked: `--fhir-server URL` runs the cases against that server,
`--fhir-conformance` against the embedded reference server (started on a free loopback port for the
run, stopped afterwards). Without either option it adds its options to `pytest --help` and nothing
else, so a project's own test run is not touched (`-p no:imaging-harness` removes it altogether).

One item per case file case (`imaging-harness::<suite>::<case id>`), with the markers `fhir`,
`suite_<suite>` and `tag_<tag>` (non-word characters as `_`). The search-oracle suite is generated
from the dataset once it is loaded on the server, so its case ids are not known when pytest
collects: it is one item, `imaging-harness::search-oracle`, that fails listing each failed case.

The cases run as `imaging-harness run` runs them, in one harness run at the first item (capability
discovery, dataset load, cleanup of what the run created), restricted to the items pytest selected;
each item then reports its case: passed, failed (the cause, requirement and redacted transcript),
skipped (the reason) or error (a transport or harness problem, raised in setup). The token comes
from the environment (`FHIR_TOKEN`), never from the command line.
"""

from __future__ import annotations

import os
import re

import pytest

from harness.definitions import versions

ORACLE_ITEM = "search-oracle"
_KEY = pytest.StashKey()


def pytest_addoption(parser) -> None:
    g = parser.getgroup("imaging-harness", "FHIR imaging conformance cases (imaging-harness)")
    g.addoption("--fhir-server", metavar="URL", default=None,
                help="Run the imaging-harness conformance cases against this FHIR base URL (token: env FHIR_TOKEN).")
    g.addoption("--fhir-conformance", action="store_true", default=False,
                help="Run the conformance cases; without --fhir-server, against the embedded reference server.")
    g.addoption("--fhir-version", default="auto", choices=("auto", *versions.runnable()),
                help="FHIR version of the server (auto: its CapabilityStatement; also the embedded server's, "
                     f"{versions.spoken(versions.served())}).")
    g.addoption("--fhir-cases", metavar="DIR", default=None,
                help="Case directory (default: the cases shipped with imaging-harness).")
    g.addoption("--fhir-fail-on", default="error", choices=("error", "warning"),
                help="warning: validation warnings in the server's answers fail too.")
    g.addoption("--fhir-read-only", action="store_true", default=False,
                help="Send only GET/HEAD and POST _search (cases that write are skipped).")


def _active(config) -> bool:
    return bool(config.getoption("fhir_server") or config.getoption("fhir_conformance"))


_NON_WORD = re.compile(r"\W")


def marker(prefix: str, name: str) -> str:
    """The marker of a suite or tag: `suite_single_series`, `tag_include`."""
    return f"{prefix}_{_NON_WORD.sub('_', name)}"


def pytest_configure(config) -> None:
    if not _active(config):
        return
    server = config.getoption("fhir_server")
    if server is not None:
        from urllib.parse import urlsplit

        u = urlsplit(server)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise pytest.UsageError(f"--fhir-server {server!r} is not an http(s) URL")
    from harness.engine.loader import CaseErrors, load_cases

    try:
        cases = load_cases(config.getoption("fhir_cases"))
    except CaseErrors as e:
        raise pytest.UsageError("imaging-harness case files:\n" + "\n".join(map(str, e.errors))) from None
    config.stash[_KEY] = _Run(config, cases)
    names = {"fhir"} | {marker("suite", c.suite) for c in cases} | {marker("tag", t) for c in cases for t in c.tags}
    names.add(marker("suite", ORACLE_ITEM))
    for name in sorted(names):
        config.addinivalue_line("markers", f"{name}: imaging-harness conformance cases")


@pytest.hookimpl(tryfirst=True)  # before -m/-k deselect, so they apply to these items
def pytest_collection_modifyitems(session, config, items) -> None:
    run = config.stash.get(_KEY, None)
    if run is None:
        return
    root = Conformance.from_parent(session, name="imaging-harness", nodeid="imaging-harness")
    items.extend(root.collect_items(run))


class Conformance(pytest.Collector):
    """The root of the conformance items (not a file: the cases come from the installed package)."""

    def collect(self):  # pragma: no cover - pytest collects these through collect_items
        return []

    def collect_items(self, run: "_Run") -> list:
        suites: dict[str, pytest.Collector] = {}
        out = []
        for case in run.cases:
            parent = suites.get(case.suite)
            if parent is None:
                parent = suites[case.suite] = Suite.from_parent(self, name=case.suite)
            item = CaseItem.from_parent(parent, name=case.id, case=case)
            item.add_marker("fhir")
            item.add_marker(marker("suite", case.suite))
            for t in case.tags:
                item.add_marker(marker("tag", t))
            item.user_properties.append(("requirement", case.requirement.cite()))
            out.append(item)
        oracle = CaseItem.from_parent(self, name=ORACLE_ITEM, case=None)
        oracle.add_marker("fhir")
        oracle.add_marker(marker("suite", ORACLE_ITEM))
        return out + [oracle]


class Suite(pytest.Collector):
    def collect(self):  # pragma: no cover
        return []


class CaseFailed(Exception):
    """A conformance failure: its text is the whole report (no Python traceback)."""


class CaseItem(pytest.Item):
    def __init__(self, *, case, **kw):
        super().__init__(**kw)
        self.case = case

    def _result(self):
        return self.config.stash[_KEY].result_of(self)

    def setup(self) -> None:
        status, text = self._result()
        if status == "error":
            raise CaseFailed(text)

    def runtest(self) -> None:
        status, text = self._result()
        if status == "skipped":
            pytest.skip(text)
        if status == "failed":
            raise CaseFailed(text)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        if self.case is None:
            return self.path, None, f"{ORACLE_ITEM}: the generated search-oracle suite"
        return self.case.file, self.case.line - 1, f"{self.case.id}: {self.case.title}"


def _describe(r) -> str:
    c = r.case
    return (f"{r.status}: {r.message}\nrequirement: {c.requirement.cite()}\ncase file: {c.file}:{c.line}\n\n"
            + r.transcript())


class _Run:
    """One harness run for every selected item, started by the first item that needs it."""

    def __init__(self, config, cases):
        self.config, self.cases = config, cases
        self.results: dict[str, object] | None = None
        self.oracle: list = []
        self.run = None

    def result_of(self, item: CaseItem) -> tuple[str, str]:
        if self.results is None:
            self._execute(item.session)
        if item.case is None:
            return self._oracle_verdict()
        r = self.results.get(item.case.id)
        if r is None:
            return "error", f"the harness run did not run this case: {self.run.status}: {self.run.message}"
        return r.status, (r.message if r.status == "skipped" else _describe(r))

    def _oracle_verdict(self) -> tuple[str, str]:
        if not self.oracle:
            return ("error", f"the search-oracle suite did not run: {self.run.message or 'no dataset on the server'}")
        bad = [r for r in self.oracle if r.status in ("failed", "error")]
        if bad:
            return "failed", (f"{len(bad)} of {len(self.oracle)} generated search-oracle case(s) failed:\n\n"
                              + "\n\n".join(f"{r.case.id}: {r.message}\nrequirement: {r.case.requirement.cite()}"
                                            for r in bad))
        if all(r.status == "skipped" for r in self.oracle):
            return "skipped", self.oracle[0].message
        return "passed", ""

    def _execute(self, session) -> None:
        import contextlib

        from harness.engine.session import RunOptions, execute

        selected = {i.case.id for i in session.items if isinstance(i, CaseItem) and i.case is not None}
        oracle = any(isinstance(i, CaseItem) and i.case is None for i in session.items)
        cases = [c for c in self.cases if c.id in selected]
        cfg = self.config
        server = cfg.getoption("fhir_server")
        version = cfg.getoption("fhir_version")
        if server is None:
            from harness.server.embedded import running

            server_cm = running(version=version if version in versions.served() else versions.default())
        else:
            server_cm = contextlib.nullcontext(server)
        with server_cm as base:
            opts = RunOptions(server=base, fhir_version=version, token=os.environ.get("FHIR_TOKEN") or None,
                              fail_on=cfg.getoption("fhir_fail_on"), read_only=cfg.getoption("fhir_read_only"),
                              oracle=oracle)
            self.run, _ = execute(cases, opts)
        self.results = {r.case.id: r for r in self.run.cases}
        from harness.engine.oracle_suite import SUITE

        self.oracle = [r for r in self.run.cases if r.case.suite == SUITE]
