"""Artifacts: content-addressed storage and the materializers that turn values into bytes."""
