"""The web console: server-rendered pages, each with a JSON twin in the API."""
