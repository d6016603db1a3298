"""``--lf`` / ``--ff`` / ``--sw``: rerun what failed last time, as pytest's cache plugin.

The ids of the items that failed (or errored, or whose module failed to
collect) are kept in ``lastfailed.json`` in the store, next to the runs; an
item that passes later is removed. ``--sw`` (stepwise) stops at the first
failure and, next time, starts from it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from zenrun.hookspec import hookimpl

_FILE = "lastfailed.json"


def _path(config: Any) -> Path:
    return Path(config.store_path) / _FILE


def load(config: Any) -> dict[str, Any]:
    """The recorded state: ``{"lastfailed": {nodeid: True}, "stepwise": nodeid or None}``."""
    try:
        data = json.loads(_path(config).read_text())
    except (OSError, ValueError):
        return {"lastfailed": {}, "stepwise": None}
    if not isinstance(data, dict) or not isinstance(data.get("lastfailed"), dict):
        return {"lastfailed": {}, "stepwise": None}
    return data


def _save(config: Any, data: dict[str, Any]) -> None:
    path = _path(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)  # atomic: a crash leaves the old file
    except OSError:  # a read-only store: nothing to remember, as pytest's cache
        pass


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("general")
    group.addoption(
        "--lf",
        "--last-failed",
        dest="last_failed",
        action="store_true",
        default=False,
        help="rerun only the pipelines that failed last time (all of them if none failed)",
    )
    group.addoption(
        "--ff",
        "--failed-first",
        dest="failed_first",
        action="store_true",
        default=False,
        help="run the pipelines that failed last time first",
    )
    group.addoption(
        "--sw",
        "--stepwise",
        dest="stepwise",
        action="store_true",
        default=False,
        help="stop at the first failure; next time, start from it",
    )


@hookimpl(tryfirst=True)
def zenrun_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    lf, ff, sw = (config.getoption(n, False) for n in ("last_failed", "failed_first", "stepwise"))
    if not (lf or ff or sw):
        return
    data = load(config)
    failed = data["lastfailed"]

    def was_failed(item: Any) -> bool:
        return item.nodeid in failed or item.nodeid.split("::")[0] in failed

    if lf and any(was_failed(i) for i in items):
        deselected = [i for i in items if not was_failed(i)]
        items[:] = [i for i in items if was_failed(i)]
        if deselected:
            config.hook.zenrun_deselected(items=deselected)
        session.lastfailed_note = f"run-last-failure: rerun previous {len(items)} failure(s)"
    elif lf:
        session.lastfailed_note = "run-last-failure: no previously failed pipelines, not deselecting items."
    elif ff:
        items[:] = [i for i in items if was_failed(i)] + [i for i in items if not was_failed(i)]
    if sw and data.get("stepwise"):
        ids = [i.nodeid for i in items]
        if data["stepwise"] in ids:
            start = ids.index(data["stepwise"])
            if start:
                config.hook.zenrun_deselected(items=items[:start])
                items[:] = items[start:]


@hookimpl
def zenrun_configure(config: Any) -> None:
    if config.getoption("stepwise", False):
        config.option.exitfirst = True  # stepwise stops at the first failure


@hookimpl
def zenrun_sessionfinish(session: Any, exitstatus: int) -> None:
    config = session.config
    if config.getoption("collectonly", False) or config.stash.get("api"):
        return
    reports = getattr(session, "reports", [])
    errors = getattr(session, "collection_errors", [])
    if not reports and not errors:
        return
    data = load(config)
    failed = data["lastfailed"]
    for path, _ in errors:
        failed[path] = True
    for report in reports:
        if report.outcome in ("failed", "error"):
            failed[report.nodeid] = True
        elif report.outcome in ("passed", "xfailed", "xpassed", "skipped"):
            failed.pop(report.nodeid, None)
    collected = {str(p) for p, _ in errors}
    for module in getattr(session, "collected_modules", []):
        relative = session.relpath(module)
        if relative not in collected:
            failed.pop(relative, None)  # the module collects again
    if config.getoption("stepwise", False):
        failing = [r.nodeid for r in reports if r.outcome in ("failed", "error")]
        data["stepwise"] = failing[0] if failing else None
    _save(config, data)
