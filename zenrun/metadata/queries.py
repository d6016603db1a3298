"""Read-side queries of the SQLite metadata store for reports, the API and the viewer.

Each query reads only what it returns (a LIMIT, an index), never every step
of every run: ``--runs`` and ``--show`` stay fast and small on a store of
thousands of runs. Mixed into :class:`zenrun.metadata.sqlite.SqliteMetadataStore`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from zenrun.metadata.records import PipelineRun
from zenrun.protocols import AmbiguousRunError, item_named

__all__ = ["AmbiguousRunError", "RunQueries"]

# Everything of a run but its graph: enough for tables, cheap to read in bulk.
_LIGHT_COLUMNS = (
    "id, name, pipeline, status, started, finished, item_id, enable_cache, "
    "orchestrator, NULL, artifact_store, params, metrics, n_steps, n_cached, config_params, overrides"
)


class RunQueries:
    """Queries over ``self._db`` returning :class:`PipelineRun` records."""

    _db: Any
    _run_from_row: Callable[[tuple[Any, ...]], PipelineRun]
    _RUN_COLUMNS: str

    def logged_metadata(self, cache_key: str) -> dict[str, Any] | None:
        """What the step that produced ``cache_key`` logged, for a cache hit to show it too.

        Answered from a partial index: every cache hit asks, and the steps
        table holds a row per hit of every rerun, which it must not scan.
        """
        row = self._db.execute(
            "SELECT metadata FROM steps WHERE cache_key=? AND status='completed' "
            "AND metadata IS NOT NULL ORDER BY run_id DESC LIMIT 1",
            (cache_key,),
        ).fetchone()
        if row is None:
            return self._removed_metadata([cache_key]).get(cache_key)
        return json.loads(row[0]) if row else None

    def _removed_metadata(self, cache_keys: list[str]) -> dict[str, dict[str, Any]]:
        """What the computing records of ``cache_keys`` logged, kept when ``--gc`` deleted them."""
        import sqlite3

        marks = ",".join("?" * len(cache_keys))
        try:
            rows = self._db.execute(
                f"SELECT cache_key, metadata FROM removed_runs_metadata WHERE cache_key IN ({marks})",
                cache_keys,
            ).fetchall()
        except sqlite3.OperationalError:  # a store opened read-only, made before the table was
            return {}
        return {key: metadata for key, text in rows if (metadata := json.loads(text))}

    def logged_metadata_many(self, cache_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """:meth:`logged_metadata` of a batch of cache hits, one query per 900 keys."""
        wanted = list(dict.fromkeys(cache_keys))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(  # oldest first: the newest record of a key is kept
                f"SELECT cache_key, metadata FROM steps WHERE cache_key IN ({marks}) "
                "AND status='completed' AND metadata IS NOT NULL ORDER BY run_id",
                chunk,
            ).fetchall()
            for key, text in rows:
                metadata = json.loads(text)
                if metadata:
                    found[key] = metadata
            missing = [key for key in chunk if key not in found]
            if missing:
                found.update(self._removed_metadata(missing))
        return found

    def recent_runs(
        self,
        limit: int | None = None,
        match: Callable[[str | None, str], bool] | None = None,
        pipeline: str | None = None,
    ) -> list[PipelineRun]:
        """Runs newest first (records without their graph), at most ``limit`` of them.

        ``match(item_id, pipeline_name)`` filters on the raw row, before any
        record is built, and rows are read in pages: a filter that matches
        little reads the runs table once and holds one page and the result.
        """
        where, args = ("WHERE pipeline=?", [pipeline]) if pipeline else ("", [])
        found: list[PipelineRun] = []
        cursor = self._db.execute(f"SELECT {_LIGHT_COLUMNS} FROM runs {where} ORDER BY id DESC", args)
        while limit is None or len(found) < limit:
            rows = cursor.fetchmany(500)
            if not rows:
                break
            for row in rows:
                if match is None or match(row[6], row[2]):
                    found.append(self._run_from_row(row))
                    if limit is not None and len(found) >= limit:
                        break
        cursor.close()
        return found

    def item_ids(self, pipeline: str | None = None) -> list[str]:
        """The item ids of recorded runs (of ``pipeline``), in order of their first run."""
        where, args = (
            ("WHERE pipeline=? AND item_id IS NOT NULL", [pipeline])
            if pipeline
            else ("WHERE item_id IS NOT NULL", [])
        )
        return [
            r[0]
            for r in self._db.execute(
                f"SELECT item_id, MIN(id) AS first FROM runs {where} GROUP BY item_id ORDER BY first", args
            )
        ]

    def resolve_item(self, item: str) -> str | None:
        """The recorded item id ``item`` names: itself, or ``name[id]`` without its file."""
        if self._db.execute("SELECT 1 FROM runs WHERE item_id=? LIMIT 1", (item,)).fetchone():
            return item
        return item_named(item, self.item_ids())

    def item_runs(self, item_id: str) -> list[PipelineRun]:
        """The runs of one item, oldest first."""
        return [
            self._run_from_row(r)
            for r in self._db.execute(
                f"SELECT {self._RUN_COLUMNS} FROM runs WHERE item_id=? ORDER BY id", (item_id,)
            )
        ]

    def latest_item_runs(self, pipeline: str) -> list[PipelineRun]:
        """The newest run of each item of ``pipeline`` (a grid's current state), by item."""
        return [
            self._run_from_row(r)
            for r in self._db.execute(
                f"SELECT {self._RUN_COLUMNS} FROM runs WHERE id IN (SELECT MAX(id) FROM runs "
                "WHERE pipeline=? GROUP BY COALESCE(item_id, '')) ORDER BY item_id",
                (pipeline,),
            )
        ]

    def find_run(self, ref: str) -> PipelineRun:
        """The run ``ref`` names: ``latest``, a run name, an item id (its newest run) or a
        unique prefix of a run name. Raises LookupError (AmbiguousRunError) otherwise."""
        columns = self._RUN_COLUMNS
        if ref == "latest":
            row = self._db.execute(f"SELECT {columns} FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            if row is None:
                raise LookupError("no runs recorded")
            return self._run_from_row(row)
        row = self._db.execute(f"SELECT {columns} FROM runs WHERE name=?", (ref,)).fetchone()
        if row is not None:
            return self._run_from_row(row)
        item = self.resolve_item(ref)
        if item is not None:
            row = self._db.execute(
                f"SELECT {columns} FROM runs WHERE item_id=? ORDER BY id DESC LIMIT 1", (item,)
            ).fetchone()
            return self._run_from_row(row)
        items = [
            r[0]
            for r in self._db.execute(
                "SELECT DISTINCT item_id FROM runs WHERE pipeline=? AND item_id IS NOT NULL LIMIT 6", (ref,)
            ).fetchall()
        ]
        if len(items) > 1:  # a parametrized pipeline's name: which item is meant?
            names = ", ".join(str(i).rpartition("::")[2] for i in items[:5]) + (
                ", ..." if len(items) > 5 else ""
            )
            raise AmbiguousRunError(f"{ref!r} is a pipeline with several items: {names}")
        # A prefix: a range over the unique index on name (LIKE would scan the table).
        rows = self._db.execute(
            f"SELECT {columns} FROM runs WHERE name >= ? AND name < ? ORDER BY id DESC LIMIT 6",
            (ref, ref + "\U0010ffff"),
        ).fetchall()
        if len(rows) == 1:
            return self._run_from_row(rows[0])
        if rows:
            names = ", ".join(r[1] for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise AmbiguousRunError(f"{ref!r} matches several runs: {names}")
        raise LookupError(f"no run, item or run-name prefix matches {ref!r}")
