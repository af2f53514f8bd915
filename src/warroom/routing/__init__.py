"""warroom.routing."""
