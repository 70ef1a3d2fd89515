"""What the wizard needs from the window to submit: whether it can, the model as it is now, and the job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ui.backend import CurrentModel, JobKind
from ui.background import Background

OFFLINE = "offline: no deployment is open"


class Submitter(Protocol):
    @property
    def background(self) -> Background:
        """Where the submission runs off the GUI thread (the window's)."""
        ...

    def refusal(self) -> str | None:
        """None when a job can be submitted now; else why not (offline, read-only credentials)."""
        ...

    def run_by(self) -> str | None:
        """Who runs the submitted job: None for this console, `LISA` in team mode (LISA cannot cancel it)."""
        ...

    async def current(self, model_id: str) -> CurrentModel:
        """The model as it is now, with what its record says of who changed it (read off the GUI thread)."""
        ...

    def submit(self, kind: JobKind, model_id: str, payload: Mapping[str, Any], ack_restart: bool) -> str:
        """Start the job and follow it in the Jobs panel; returns its id."""
        ...

    async def set_context_window(self, model_id: str, tokens: int) -> int:
        """Write the model's context window now, as the window's "Context window…" does (off the GUI thread);
        returns the value written. Raises with what to do when it is refused or fails: nothing written."""
        ...

    def submit_after(self, job_id: str, kind: JobKind, model_id: str, payload: Mapping[str, Any]) -> None:
        """Start this job once job `job_id` has succeeded (nothing when it did not)."""
        ...
