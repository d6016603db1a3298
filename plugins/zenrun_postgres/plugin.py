"""The zenrun plugin: ``--store postgresql://user@host:port/db`` keeps a team store in PostgreSQL.

Registered through the ``zenrun`` entry-point group. It answers
``zenrun_make_metadata_store`` and ``zenrun_make_cache`` only for a
``postgresql://`` (or ``postgres://``) store URL, and imports psycopg only
then, so installing it does not slow down other runs.
"""

from __future__ import annotations

import importlib.util
import os
import urllib.parse
from pathlib import Path
from typing import Any

import zenrun
from zenrun import hookimpl

SCHEMES = ("postgresql", "postgres")
LEASE_ENV = "ZENRUN_STORE_LEASE"
_STASH = "zenrun_postgres.team"


def team_url(config: Any) -> str | None:
    """The session's store URL when it is a PostgreSQL one, else None."""
    url = getattr(config, "store_url", None)
    if url and url.split("://", 1)[0].lower() in SCHEMES:
        return str(url)
    return None


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.getgroup("store").addoption(
        "--store-lease",
        dest="store_lease",
        type=float,
        default=None,
        metavar="SECONDS",
        help="team store: a run whose process stops renewing its lease for this long is failed "
        f"on every machine (default 60; env {LEASE_ENV})",
    )
    parser.addini("store_lease", "team store: seconds of a running run's lease (default 60)", default=None)


@hookimpl
def zenrun_backend_names(config: Any, kind: str) -> list[str] | None:
    return ["postgresql"] if kind == "store" else None


def _lease(config: Any) -> float:
    value = config.getoption("store_lease", None) or os.environ.get(LEASE_ENV) or config.getini("store_lease")
    if value in (None, ""):
        from zenrun_postgres.store import DEFAULT_LEASE

        return DEFAULT_LEASE
    try:
        lease = float(value)
    except ValueError:
        raise zenrun.UsageError(
            f"--store-lease / {LEASE_ENV}: {value!r} is not a number of seconds"
        ) from None
    if lease <= 0:
        raise zenrun.UsageError(f"--store-lease / {LEASE_ENV}: {value!r} must be more than 0 seconds")
    return lease


def open_team_store(config: Any) -> Any:
    """The session's :class:`~zenrun_postgres.store.TeamStore` (made once)."""
    team = config.stash.get(_STASH)
    if team is None:
        url = team_url(config)
        missing = [name for name in ("psycopg", "psycopg_pool") if importlib.util.find_spec(name) is None]
        if missing:  # the pool is imported only when a run starts: look for it without importing
            raise zenrun.UsageError(
                f"the team store {zenrun.redact_url(url or '')} needs {' and '.join(missing)} "
                "(not installed); install it with: pip install 'zenrun[postgres]'"
            )
        from zenrun_postgres.store import TeamStore

        team = TeamStore(str(url), lease=_lease(config))
        config.stash[_STASH] = team
        config.add_cleanup(team.close)
    return team


@hookimpl(tryfirst=True)
def zenrun_make_metadata_store(config: Any) -> Any:
    if team_url(config) is None:
        return None
    import socket  # here: 2 ms that `zenrun --help` skips

    from zenrun_postgres.store import PostgresMetadataStore

    team = open_team_store(config)
    local = None
    if _on_this_disk(config):
        root = Path(urllib.parse.unquote(str(config.artifact_store.url)[len("file://") :]))
        local = f"local://{socket.gethostname()}{root}"
    store = PostgresMetadataStore(team, local_artifacts=local)
    config.add_cleanup(store.close)
    return store


@hookimpl(tryfirst=True)
def zenrun_make_cache(config: Any) -> Any:
    if team_url(config) is None:
        return None
    from zenrun_postgres.store import PostgresCache

    cache = PostgresCache(open_team_store(config))
    config.add_cleanup(cache.close)
    return cache


def _on_this_disk(config: Any) -> bool:
    """Whether the session's artifacts go to a directory of this machine (``file://``)."""
    url = str(getattr(config.artifact_store, "url", "") or "")
    return url.startswith("file://")


@hookimpl
def zenrun_report_header(config: Any) -> str | None:
    url = team_url(config)
    if url is None:
        return None
    if not _on_this_disk(config):
        return None
    return (
        "team store: artifacts stay on this machine's disk; teammates can read its records "
        "but not its artifacts (share them with --artifact-store s3://...)"
    )
