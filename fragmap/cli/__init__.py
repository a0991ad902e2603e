"""The ``fragmap`` command line: a thin layer of click commands over the library.

Each topic keeps its commands in its own module here (``ingest.py``,
``geocode.py``...); this module defines the group and imports them so they
register. Library errors (:class:`fragmap.FragmapError`) become one-line
``click.ClickException`` messages; nothing here computes.
"""

from __future__ import annotations

from fragmap.cli._common import main

# Command modules register themselves on ``main`` when imported; one line per module.
from fragmap.cli import (  # noqa: F401,E402
    demo,
    desk,
    export,
    geocode,
    geodata,
    ingest,
    new,
    privacy,
    quarters,
    run,
)

__all__ = ["main"]
