"""API tests: authentication, throttling, errors and the OpenAPI schema."""
