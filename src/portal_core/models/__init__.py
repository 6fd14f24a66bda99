"""Pydantic v2 records: what services return and take, and the API's request and response bodies."""
