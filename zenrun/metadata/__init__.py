"""Metadata: records of runs, steps and artifacts, the SQLite store and the post-execution API."""
