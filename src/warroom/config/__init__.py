"""Organisation config as code: Pydantic models, YAML loading with file:line errors."""
