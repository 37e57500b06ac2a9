"""Staff jobs that run off the page run (issue 11): large exports and the bulk PDF export.

A job runs in a thread of a small pool shared by the server process and writes its file into
a temporary folder; the page polls it (``st.fragment(run_every=…)``) and shows its progress,
then a download button. The staff member's session is never blocked: other pages and filters
keep working while the file is built. A job belongs to the session that started it (the hash
of its token, as downloads in ``ui.report_downloads``); nobody else sees it or its file.

No streamlit here: the pages draw the jobs.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

WORKERS = 2  # jobs building at once per server process; more wait in the queue
KEEP_SECONDS = 3600  # a finished job's file is deleted after this
QUEUED, RUNNING, DONE, FAILED = "en_cola", "trabajando", "listo", "error"


class JobRefused(Exception):
    """Raised by a job's work when it cannot be done as asked; the message (Spanish) is shown."""


@dataclass
class Job:
    """One file being built. ``done``/``total`` drive the progress bar; ``detail`` is what
    the audit entry of the download records (rows, firms, filters)."""

    id: str
    owner: str
    kind: str
    description: str
    state: str = QUEUED
    done: int = 0
    total: int = 0
    stage: str = "En cola"
    path: Path | None = None
    file_name: str = ""
    mime: str = ""
    message: str = ""  # why a refused job was not done (Spanish)
    error: str = ""  # the exception's type, logged with its traceback
    detail: dict = field(default_factory=dict)
    firm_ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # in the file
    created: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def fraction(self) -> float:
        return min(self.done / self.total, 1.0) if self.total else 0.0

    def progress(self, done: int, total: int | None = None, stage: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if stage is not None:
            self.stage = stage


class Jobs:
    """The jobs of one server process."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="brujula-exportes")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.folder = Path(tempfile.mkdtemp(prefix="brujula-exportes-"))

    def start(
        self,
        owner: str,
        kind: str,
        description: str,
        work: Callable[[Job, Path], None],
    ) -> Job:
        """Queue ``work(job, folder)``: it fills the job's progress and sets ``path``,
        ``file_name`` and ``mime``; an exception marks the job failed (and is logged)."""
        self._forget_old()
        job = Job(uuid.uuid4().hex, owner, kind, description)
        folder = self.folder / job.id
        folder.mkdir()
        with self._lock:
            self._jobs[job.id] = job
        self._executor.submit(self._run, job, folder, work)
        return job

    def _run(self, job: Job, folder: Path, work: Callable[[Job, Path], None]) -> None:
        job.state = RUNNING
        try:
            work(job, folder)
            job.state = DONE
        except JobRefused as refusal:  # the request cannot be met as asked: say why
            job.message = str(refusal)
            job.state = FAILED
        except Exception as error:  # logged; the page shows a plain message
            log.exception("export job %s (%s) failed", job.id, job.kind)
            job.message = ""
            job.error = type(error).__name__
            job.state = FAILED
        finally:
            job.finished = time.monotonic()

    def latest(self, owner: str | None, kind: str) -> Job | None:
        """The owner's most recent job of this kind (None for anyone else)."""
        if owner is None:
            return None
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner and j.kind == kind]
        return max(mine, key=lambda j: j.created) if mine else None

    def get(self, owner: str | None, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and owner is not None and job.owner == owner else None

    def _forget_old(self) -> None:
        now = time.monotonic()
        with self._lock:
            old = [j for j in self._jobs.values() if j.finished and now - j.finished > KEEP_SECONDS]
            for job in old:
                del self._jobs[job.id]
        for job in old:
            shutil.rmtree(self.folder / job.id, ignore_errors=True)


_jobs: Jobs | None = None
_jobs_lock = threading.Lock()


def jobs() -> Jobs:
    """The process's job pool (created on first use)."""
    global _jobs
    with _jobs_lock:
        if _jobs is None:
            _jobs = Jobs()
        return _jobs
