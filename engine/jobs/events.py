"""Typed progress events: what a job tells the CLI and the window while it runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class StepState(StrEnum):
    STARTED = "started"
    PROGRESS = "progress"
    SUCCEEDED = "succeeded"
    SKIPPED = "skipped"
    FAILED = "failed"
    ROLLING_BACK = "rolling-back"
    ROLLED_BACK = "rolled-back"


class Source(StrEnum):
    ENGINE = "engine"
    ECS = "ecs"
    """An ECS service event, as ECS wrote it."""


@dataclass(frozen=True)
class JobEvent:
    job_id: str
    model_id: str
    step: str
    """validate, intake, ecs, capacity, litellm, finalize, rollback or job."""
    state: StepState
    message: str
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    source: Source = Source.ENGINE
    data: Mapping[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        """One line for a terminal: `12:03:04  ecs  progress  new revision 8 is 1/2 running`."""
        stamp = self.timestamp.astimezone().strftime("%H:%M:%S")
        origin = "ECS: " if self.source is Source.ECS else ""
        return f"{stamp}  {self.step:<9} {self.state:<12} {origin}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "modelId": self.model_id,
            "step": self.step,
            "state": str(self.state),
            "message": self.message,
            "timestamp": self.timestamp.isoformat(),
            "source": str(self.source),
            "data": dict(self.data),
        }
