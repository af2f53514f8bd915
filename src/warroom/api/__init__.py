"""The HTTP API: FastAPI routers, auth dependencies and problem+json errors."""
