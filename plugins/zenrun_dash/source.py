"""What the viewer reads from the stores: run pages for the picker, runs, run models.

Store reads are short and serialised by one lock (the store's connection is
shared by the server's threads); artifact previews live in
:mod:`zenrun_dash.preview` and never take it. Finished runs do not change, so
their models are cached; a running run is read again on each refresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from zenrun_dash.lineage import STATE_GLYPHS, RunModel, build_model

PAGE_SIZE = 50


def item_label(summary: dict[str, Any]) -> str:
    """``hpo[iris]`` for an item id ``pipeline_hpo.py::hpo[iris]``, else the pipeline name."""
    item = summary.get("item_id")
    return item.split("::", 1)[-1] if item else summary["pipeline"]


def option_label(summary: dict[str, Any]) -> str:
    started = summary.get("started")
    when = datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M:%S") if started else "-"
    status = summary["status"]
    return f"{item_label(summary)}  {STATE_GLYPHS.get(status, '')} {status}  {when}  ({summary['name']})"


class RunSource:
    """Reads runs through ``config``'s metadata store for the viewer."""

    def __init__(self, config: Any, slow_after: float = 5.0, cache_size: int = 16) -> None:
        self.config = config
        self.slow_after = slow_after
        self._lock = threading.Lock()
        self._models: OrderedDict[str, tuple[Any, RunModel]] = OrderedDict()
        self._cache_size = cache_size
        self._prefetching: dict[str, Future[Any]] = {}
        self._prefetch_pool: ThreadPoolExecutor | None = None

    @property
    def store(self) -> Any:
        return self.config.metadata_store

    def page(self, text: str | None = None, offset: int = 0, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
        """Run summaries newest first (``MetadataStore.find_runs``)."""
        with self._lock:
            rows = self.store.find_runs(text or None, limit=limit, offset=offset)
        if any(row["status"] == "running" for row in rows):
            dead = self._dead_runs()
            for row in rows:
                if row["name"] in dead:
                    row["status"] = "failed"
        return rows

    def newest(self) -> str | None:
        rows = self.page(limit=1)
        return rows[0]["name"] if rows else None

    def _dead_runs(self) -> set[str]:
        """Runs recorded ``running`` whose owner died: failed, by the store's liveness rule."""
        with self._lock:
            return set(self.store.dead_runs())

    def run(self, name: str | None) -> Any:
        """The run called ``name`` with its steps loaded, or None.

        The store reports a run whose owner died as failed; its steps left
        ``running`` are shown failed with it.
        """
        if not name:
            return None
        with self._lock:
            run = self.store.get_run(name)
            if run is not None:
                _ = run.steps  # load now, under the lock
        if run is not None and run.status != "running":
            for step in run.steps.values():
                if step.status == "running":
                    step.status = "failed"
                    step.error = step.error or "interrupted: the process running this run ended"
        return run

    def pipeline_names(self) -> list[str]:
        with self._lock:
            return list(self.store.pipeline_names())

    def latest_per_item(self, pipeline: str) -> list[Any]:
        """The newest run of each item of ``pipeline``, with its metrics read."""
        with self._lock:
            latest: dict[str, Any] = {}
            for run in self.store.get_runs(pipeline):  # oldest first: later runs replace earlier
                latest[run.item_id or run.name] = run
            for run in latest.values():
                _ = run.metrics  # stored with the run; computed (reading steps) for older runs
        return list(latest.values())

    def params_of(self, runs: list[Any]) -> list[dict[str, Any]]:
        """The params of ``runs`` as every report names them (``zenrun.item_params``)."""
        import zenrun

        with self._lock:
            return zenrun.item_params(runs, self.store)

    def model(self, name: str | None) -> tuple[Any, RunModel] | tuple[None, None]:
        """The run and its drawn model; finished runs are read once."""
        if not name:
            return None, None
        cached = self._models.get(name)
        if cached is not None:
            return cached
        pending = self._prefetching.get(name)
        if pending is not None:  # the page load asked for it while the browser loaded scripts
            return pending.result()
        return self._read_model(name)

    def prefetch(self, name: str | None) -> None:
        """Start reading run ``name`` (None: the newest) in the background."""
        with self._lock:
            if self._prefetch_pool is None:
                self._prefetch_pool = ThreadPoolExecutor(1, thread_name_prefix="zenrun-prefetch")
            pool = self._prefetch_pool

        def read() -> tuple[Any, RunModel] | tuple[None, None]:
            try:
                return self._read_model(name or self.newest())
            finally:
                if name is not None:
                    self._prefetching.pop(name, None)

        if name is None or (name not in self._models and name not in self._prefetching):
            future = pool.submit(read)
            if name is not None:
                self._prefetching[name] = future

    def _read_model(self, name: str | None) -> tuple[Any, RunModel] | tuple[None, None]:
        if not name:
            return None, None
        cached = self._models.get(name)
        if cached is not None:
            return cached
        run = self.run(name)
        if run is None:
            return None, None
        model = build_model(run, slow_after=self.slow_after)
        if run.status != "running":
            with self._lock:
                self._models[name] = (run, model)
                while len(self._models) > self._cache_size:
                    self._models.popitem(last=False)
        return run, model
