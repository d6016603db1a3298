"""Orchestrators: when and where each step of a run executes."""
