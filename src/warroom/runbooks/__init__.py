"""Runbooks as code: the YAML format, loader, linter, Markdown importer, matching and executors."""
