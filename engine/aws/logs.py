"""CloudWatch Logs: where a task's container writes (from its awslogs configuration) and the stream's last lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from engine.aws.clients import AwsClients

AWSLOGS: Final = "awslogs"
LAST_LINES: Final = 20


@dataclass(frozen=True)
class LogStream:
    """A container's log stream: `<awslogs-stream-prefix>/<container name>/<task id>` in `awslogs-group`."""

    group: str
    stream: str
    region: str | None
    """`awslogs-region` (None when the configuration does not say)."""


def container_stream(container: Mapping[str, Any], task_id: str) -> LogStream | None:
    """Where the awslogs driver writes this container's output for task `task_id`; None when the container does not
    log to CloudWatch, or has no stream prefix (the stream is then named after the Docker container id, which
    DescribeTasks does not give)."""
    configuration = container.get("logConfiguration") or {}
    options: Mapping[str, Any] = configuration.get("options") or {}
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if configuration.get("logDriver") != AWSLOGS or not group or not prefix or not container.get("name"):
        return None
    region = options.get("awslogs-region")
    return LogStream(str(group), f"{prefix}/{container['name']}/{task_id}", str(region) if region else None)


class LogsGateway:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def last_lines(self, stream: LogStream, limit: int = LAST_LINES) -> list[str]:
        """The stream's last `limit` messages, oldest first (one GetLogEvents from the end: only the newest page is
        wanted, so no paging), each without its trailing newline."""
        with self._clients.errors("logs:GetLogEvents", f"log stream {stream.stream} in {stream.group}"):
            response = self._clients.logs().get_log_events(
                logGroupName=stream.group, logStreamName=stream.stream, limit=limit, startFromHead=False
            )
        return [str(event.get("message", "")).rstrip("\n") for event in response.get("events", ())]
