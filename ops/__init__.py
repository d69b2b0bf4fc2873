"""Operator tools that run outside Lambda: search, replay, backfill, audit and the demo."""
