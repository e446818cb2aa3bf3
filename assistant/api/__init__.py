"""Ethos HTTP API (FastAPI): `create_app(settings)` builds it; routers live in `routes/`."""

from assistant.api.main import create_app

__all__ = ["create_app"]
