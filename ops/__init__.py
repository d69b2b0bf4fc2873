"""Operator tools that run outside Lambda: bundle checks and replay of the failure queues."""
