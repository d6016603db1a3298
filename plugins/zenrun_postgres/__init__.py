"""zenrun_postgres: a team store on PostgreSQL (``--store postgresql://...``)."""
