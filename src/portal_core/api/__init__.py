"""The remote endpoint (`portal serve`): the services over HTTP, one route per use case.

`spec.py` and the area modules' route tables need no server packages, so `RemoteClient` reads
them; `app.py`, `auth.py` and `routing.py` need the `server` extra (FastAPI).
"""
