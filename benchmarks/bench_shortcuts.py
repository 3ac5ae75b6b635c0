"""What each imaging shortcut (a check's "fine verdict", harness/imaging/shortcuts.py) saves today.

    python benchmarks/bench_shortcuts.py [--n 4000] [--rounds 7]

For each corpus (benchmarks/corpus.py large R4 and R5, benchmarks/corpus_small.py small R4 and R5;
R5 with its studies as resolution context, as an NDJSON file gives them), in one process:
- the CPU time per resource of the whole validation, JSON bytes to issues (parse_bytes +
  validate_value);
- the CPU time per resource of the imaging rules alone (imaging.run on the parsed resources): with
  every shortcut, without each shortcut in turn (its check then always runs), and without any.
The corpus is timed in chunks of 100 resources: each chunk by every variant in turn (the order
rotated), --rounds times, and a variant's figure is the sum over the chunks of its best time on
each, so every variant sees the same interference and little of it counts. A shortcut's gain is (imaging without it) - (imaging with all),
in µs per resource and as a share of the whole validation's time per resource. The corpora are
valid, so on them every verdict is True: the gain is the check's time less its verdict's.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import orjson  # noqa: E402

from corpus import r4_studies, r5_imaging  # noqa: E402
from corpus_small import small_r4, small_r5  # noqa: E402
from harness import compiled, imaging  # noqa: E402
from harness.imaging import rules  # noqa: E402
from harness.imaging.context import Index  # noqa: E402
from harness.validation.jsonparse import parse_bytes  # noqa: E402
from harness.validation.validator import validate_value  # noqa: E402

CHUNK = 100  # resources timed at a stretch


def _set_verdicts(on: set) -> None:
    """Give each registered check its fine verdict only when the check is in `on`."""
    verdict = {fn: fine for fn, fine, _ in rules.GUARDED}
    for kind, entries in rules._CHECKS.items():
        entries[:] = [(verdict.get(fn) if fn in on else None, fn) for _, fn in entries]
    rules._PLANS.clear()


def _pass(fn, items: list) -> float:
    """CPU seconds of this process for fn over items (CPU time: a shared machine's waits do not count)."""
    gc.collect()
    gc.disable()  # a collection falls on whichever variant is running: none counts
    try:
        t0 = time.process_time()
        for item in items:
            fn(item)
        return time.process_time() - t0
    finally:
        gc.enable()


def _chunks(items: list, size: int) -> list[list]:
    return [items[k:k + size] for k in range(0, len(items), size)]


def variants(every: set) -> list[tuple[str, set]]:
    """(name, the checks whose verdicts are on): every verdict, each one off in turn, none."""
    return ([("all shortcuts", every)] + [(f"without {fine.__name__}", every - {fn}) for fn, fine, _ in rules.GUARDED]
            + [("no shortcut", set())])


VARIANTS = variants  # what corpus() measures (another script may measure other sets)


def corpus(label: str, version: str, values: list, rounds: int) -> None:
    items = [orjson.dumps(v) for v in values]
    context = (Index.of("the corpus", [v for v in values if v["resourceType"] == "ImagingStudy"])
               if version == "r5" else None)
    parsed = [parse_bytes(b).value for b in items]
    every = {fn for fn, _, _ in rules.GUARDED}
    gc.collect()
    gc.freeze()  # the corpus: never scanned by the collections between chunks

    def whole(b: bytes):
        p = parse_bytes(b)
        return validate_value(p.value, "bench", version, p.duplicates, resolver=context)

    def rules_only(r: dict):
        return imaging.run(r, version, context)

    variants = VARIANTS(every)
    for _, on in variants:  # warm: compiled checkers, definitions, bindings
        _set_verdicts(on)
        _pass(rules_only, parsed[:50])
    _set_verdicts(every)
    _pass(whole, items[:50])
    # each chunk of the corpus: every variant in turn (the order rotated), --rounds times; a
    # variant's time is the sum over chunks of its best time on that chunk
    chunks, whole_chunks = _chunks(parsed, CHUNK), _chunks(items, CHUNK)
    best = {name: [float("inf")] * len(chunks) for name, _ in variants}
    best_whole = [float("inf")] * len(chunks)
    for r in range(rounds):
        for k, chunk in enumerate(chunks):
            _set_verdicts(every)
            best_whole[k] = min(best_whole[k], _pass(whole, whole_chunks[k]))
            for i in range(len(variants)):
                name, on = variants[(i + r + k) % len(variants)]
                _set_verdicts(on)
                best[name][k] = min(best[name][k], _pass(rules_only, chunk))
    best = {name: sum(times) for name, times in best.items()}
    best_whole = sum(best_whole)
    _set_verdicts(every)
    n = len(items)
    per = best_whole / n * 1e6
    base = best["all shortcuts"] / n * 1e6
    print(f"\n{label} ({version}, {n} resources, {sum(map(len, items)) // n} B avg): whole validation "
          f"{per:.1f} µs/resource; imaging rules, every shortcut on: {base:.2f} µs")
    for name, _ in variants[1:]:
        t = best[name] / n * 1e6
        print(f"  {name:<32} imaging {t:7.2f} µs  gain {t - base:+6.2f} µs = {100 * (t - base) / per:+5.1f}% "
              "of the whole")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=4000, help="resources per corpus")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved passes per variant (best one counts)")
    args = ap.parse_args()
    print(f"imaging-harness modules: {compiled.summary()}; load average {os.getloadavg()[0]:.2f}")
    for label, version, make in (("large R4", "r4", r4_studies), ("large R5", "r5", r5_imaging),
                                 ("small R4", "r4", small_r4), ("small R5", "r5", small_r5)):
        corpus(label, version, make(args.n), args.rounds)


if __name__ == "__main__":
    main()
