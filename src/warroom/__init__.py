"""warroom: self-hosted incident response with executable runbooks and verifiable timelines."""

__version__ = "0.1.0"
