"""Long work outside the request: a small thread pool with progress the page polls."""

from __future__ import annotations

import secrets
import threading
import logging
import traceback

from fragmap._errors import FragmapError
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    """One piece of background work. ``owner`` and ``partner`` decide who may see it."""

    id: str
    kind: str
    owner: str | None
    partner: str | None
    state: str = "in_coda"  # in_coda, in_corso, fatto, errore
    progress: float = 0.0
    stage: str = ""
    message: str = ""
    result: Any = None
    log: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """What the page shows while it waits."""
        return {"id": self.id, "kind": self.kind, "state": self.state, "progress": round(self.progress, 3),
                "stage": self.stage, "message": self.message, "done": self.state in ("fatto", "errore")}


class Jobs:
    """Background jobs: at most ``workers`` at a time; one publication at a time.

    Parameters
    ----------
    workers : int
        Threads (the machine of a coordinator has few cores; builds are heavy).
    """

    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sportello")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        #: Held while a build or publication runs: a second one is refused, not queued.
        self.build_lock = threading.Lock()
        #: Serialises intake: each file is one store transaction, and the ledger file is shared.
        self.ingest_lock = threading.Lock()

    def submit(self, kind: str, owner: str | None, partner: str | None,
               work: Callable[[Job], Any], *, error_message: Callable[[BaseException], str],
               release: threading.Lock | None = None) -> Job:
        """Run ``work(job)`` in the background; its return value becomes ``job.result``.

        ``release`` is a lock the caller already holds, released when the work ends.
        """
        job = Job(secrets.token_urlsafe(12), kind, owner, partner)
        with self._lock:
            self._jobs[job.id] = job
            if len(self._jobs) > 500:  # forget the oldest finished jobs
                for old in [j for j in self._jobs.values() if j.state in ("fatto", "errore")][:100]:
                    self._jobs.pop(old.id, None)

        def run() -> None:
            job.state = "in_corso"
            try:
                job.result = work(job)
                job.progress = 1.0
                job.state = "fatto"
            except BaseException as exc:  # the page shows a message, never a traceback
                job.message = error_message(exc)
                job.log.append(traceback.format_exc())
                if not isinstance(exc, FragmapError):  # an unexpected failure: for whoever runs the desk
                    logging.getLogger("fragmap.desk").error("job %s (%s) failed:\n%s", job.id, job.kind, job.log[-1])
                job.state = "errore"
            finally:
                if release is not None:
                    release.release()

        self._pool.submit(run)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def running(self, kind: str) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.kind == kind and j.state in ("in_coda", "in_corso")]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
