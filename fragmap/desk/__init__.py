"""The network's desk (``fragmap sportello``): partners upload their monthly exports in the
browser; the coordinator reviews addresses, previews, publishes and rolls back.

A thin web layer (Starlette) over the pipeline's public functions; its own tables
(accounts, sessions, audit log, uploads, corrections, publications) live in
``sportello.sqlite`` beside the store. Needs the ``desk`` extra
(``pip install "fragmap[desk]"``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`fragmap.desk.app.create_app` (imported lazily: the web libraries are an extra)."""
    from fragmap.desk.app import create_app as _create

    return _create(*args, **kwargs)
