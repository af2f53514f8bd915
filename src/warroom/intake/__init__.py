"""Intake adapters: one module per source format, each normalising to a Signal."""
