"""warroom.store."""
