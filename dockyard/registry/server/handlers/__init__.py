"""Request handlers, one module per resource of the distribution API."""
