"""Application services: every interface (API, console, CLI) goes through these, and so
through their permission checks."""
