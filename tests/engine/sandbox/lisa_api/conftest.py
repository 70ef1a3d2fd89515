"""A sandbox on a SkippingClock per module, and a client of its LISA API over HTTP (urllib, as any client)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from engine.clock import SkippingClock
from engine.sandbox.lisa_api import Execution
from engine.sandbox.lisa_api.store import from_item
from engine.sandbox.server import Sandbox

STEP_S = 0.5
WALL_LIMIT_S = 60.0


@dataclass
class Api:
    sandbox: Sandbox
    clock: SkippingClock

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = "admin") -> tuple[int, Any]:
        """`token`: "admin", "user", another header value, or None for no Authorization header."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(self.sandbox.lisa_api_url + path, data=data, method=method)
        header = {"admin": self.sandbox.lisa_api_admin_token, "user": self.sandbox.lisa_api_user_token}.get(
            token or "", token
        )
        if header is not None:
            request.add_header("Authorization", f"Bearer {header}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def record(self, model_id: str) -> dict[str, Any] | None:
        raw = self.sandbox.client("dynamodb").get_item(
            TableName=self.sandbox.table_name, Key={"model_id": {"S": model_id}}, ConsistentRead=True
        )
        return from_item(raw["Item"]) if "Item" in raw else None

    def executions(self, model_id: str) -> list[Execution]:
        assert self.sandbox.lisa_api is not None
        return self.sandbox.lisa_api.models.executions.of_model(model_id)

    def run_to_end(self, model_id: str) -> Execution:
        """Move the clock until the model's latest execution ends (a state that waits on the network may take a
        moment of wall-clock time: the execution's end is awaited, never slept for)."""
        execution = self.executions(model_id)[-1]
        deadline = time.monotonic() + WALL_LIMIT_S
        while not execution.finished.wait(0.01):
            assert time.monotonic() < deadline, f"{execution.machine} of {model_id} still in {execution.states[-1]}"
            self.clock.advance(STEP_S)
        return execution

    def group(self, model_id: str) -> dict[str, Any]:
        name = self.sandbox.resources(model_id).auto_scaling_group
        groups = self.sandbox.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        return dict(groups["AutoScalingGroups"][0])


def _api(**options: Any) -> Iterator[Api]:
    clock = SkippingClock()
    # the simulator's own thread ticks seldom: the test's clock moves the world, so a state it reads (Updating, ...)
    # stays until it moves the clock
    settings: dict[str, Any] = {"ambient": False, "rollout_seconds": 8.0, "warmup_seconds": 3.0, "tick_seconds": 5.0}
    with Sandbox(clock=clock, **{**settings, **options}) as sandbox:
        yield Api(sandbox, clock)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    """One sandbox for the module: each test changes models no other test of the module reads."""
    yield from _api(fail_rollout=["bge-large-en"], fail_capacity=["llama3-8b-tgi"])
