"""The team store's tables, as versioned migrations applied in order.

``zenrun_schema.version`` holds the number of migrations applied. A store
migrated by a newer zenrun (a higher version than :data:`MIGRATIONS` knows)
is refused with a message, never written to. Migrations run in one
transaction under an advisory lock, so two processes opening a new database
at once migrate it once.
"""

from __future__ import annotations

#: Each entry migrates version N to N+1 (index N). Append, never edit.
MIGRATIONS: list[str] = [
    # 1: runs, steps, artifacts, lineage, the cache index
    """
    CREATE TABLE runs (
        id BIGSERIAL PRIMARY KEY, name TEXT UNIQUE NOT NULL, pipeline TEXT NOT NULL,
        status TEXT NOT NULL, started DOUBLE PRECISION, finished DOUBLE PRECISION, item_id TEXT,
        enable_cache BOOLEAN, orchestrator TEXT, graph TEXT, host TEXT, pid INTEGER,
        artifact_store TEXT, params TEXT, metrics TEXT, n_steps INTEGER, n_cached INTEGER,
        config_params TEXT, overrides TEXT, lease_until DOUBLE PRECISION, error TEXT);
    CREATE INDEX runs_by_pipeline ON runs (pipeline, id);
    CREATE INDEX runs_by_item ON runs (item_id, id);
    CREATE INDEX runs_running ON runs (id) WHERE status = 'running';
    CREATE TABLE steps (
        run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE, step_id TEXT NOT NULL,
        step_name TEXT NOT NULL, status TEXT NOT NULL, started DOUBLE PRECISION,
        finished DOUBLE PRECISION, config TEXT, cache_key TEXT, cache_parts TEXT, cache_reason TEXT,
        error TEXT, upstream TEXT, metadata TEXT, captured TEXT, seq BIGSERIAL,
        PRIMARY KEY (run_id, step_id));
    CREATE INDEX steps_with_logged_metadata ON steps (cache_key, run_id)
        WHERE status = 'completed' AND metadata IS NOT NULL;
    CREATE INDEX steps_by_step ON steps (step_id, run_id) WHERE status IN ('completed', 'cached');
    CREATE TABLE artifacts (
        digest TEXT PRIMARY KEY, size BIGINT NOT NULL, materializer TEXT NOT NULL, type TEXT,
        preview TEXT);
    CREATE TABLE step_io (
        run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE, step_id TEXT NOT NULL,
        kind TEXT NOT NULL, name TEXT NOT NULL, position INTEGER, digest TEXT, source_step TEXT,
        source_output TEXT, seq BIGSERIAL);
    CREATE INDEX step_io_by_step ON step_io (run_id, step_id);
    CREATE INDEX step_io_by_digest ON step_io (digest);
    CREATE TABLE cache (
        key TEXT PRIMARY KEY, outputs TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);
    """,
    # 2: what plugins logged about a step run, apart from the user's metadata
    """
    ALTER TABLE steps ADD COLUMN plugin_metadata TEXT;
    """,
    # 3: what the computing records of deleted runs logged, which their cache hits still show
    """
    CREATE TABLE removed_runs_metadata (
        cache_key TEXT PRIMARY KEY, run_id BIGINT NOT NULL, metadata TEXT NOT NULL);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
