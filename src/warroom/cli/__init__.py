"""The `warroom` command line: a thin layer over the services and the API."""
