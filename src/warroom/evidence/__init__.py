"""warroom.evidence."""
