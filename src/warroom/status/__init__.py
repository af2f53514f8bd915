"""warroom.status."""
