"""LISA's own execution of a change, for a follower whose credentials can read Step Functions: the deployment's
CreateModel, UpdateModel or DeleteModel state machine (as LISA's models API Lambdas name it in their environment,
or by LISA's construct id `<Machine>SM` in its name), the
execution LISA's handler started for the model (its input names the model: `modelId`, or `model_id` for an
update), and the states it enters (GetExecutionHistory), told as they come.

LISA's UpdateModel execution ends SUCCEEDED even when the ECS rollout failed: its output then carries
`ecs_polling_error` (or `ecs_update_error`), and a start whose capacity never came `polling_error`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from engine.aws.clients import AwsClients
from engine.aws.litellm_settings import TABLE_VARIABLE
from engine.errors import LisaDesktopError
from engine.lisa_api.live import CLOCK_SKEW, NOT_ROLLED_BACK, Line, Observation

MACHINES: Final = ("CreateModel", "UpdateModel", "DeleteModel")
FIND_POLLS: Final = 10
"""Polls after which an execution not found is given up (its machine listed elsewhere, or another name)."""
ERRORS_IN_OUTPUT: Final = {
    "ecs_update_error": "the ECS update failed",
    "ecs_polling_error": "the ECS rollout failed",
    "polling_error": "the capacity did not come",
}


def state_machine_arns(
    clients: AwsClients, machine: str, deployment_name: str | None, models_table_name: str | None = None
) -> list[str]:
    """The state machine of `machine` (CreateModel, UpdateModel, DeleteModel): as LISA's models API Lambdas know
    it (`CREATE_SFN_ARN`, `UPDATE_SFN_ARN`, `DELETE_SFN_ARN` beside the deployment's `MODEL_TABLE_NAME`), else
    those named with LISA's construct id `<machine>SM`, narrowed to the deployment's name when several match."""
    if models_table_name:
        known = _from_functions(clients, f"{machine.removesuffix('Model').upper()}_SFN_ARN", models_table_name)
        if known:
            return [known]
    found: list[tuple[str, str]] = []
    with clients.errors("states:ListStateMachines"):
        for page in clients.stepfunctions().get_paginator("list_state_machines").paginate():
            for entry in page.get("stateMachines", []):
                name = str(entry.get("name", ""))
                if f"{machine}SM" in name:
                    found.append((name, str(entry["stateMachineArn"])))
    if deployment_name and len(found) > 1:
        ours = [(name, arn) for name, arn in found if deployment_name in name]
        found = ours or found
    return [arn for _, arn in found]


def _from_functions(clients: AwsClients, variable: str, models_table_name: str) -> str | None:
    """The ARN in `variable` of a function of the deployment; None when none has it or they cannot be listed."""
    try:
        with clients.errors("lambda:ListFunctions", "the deployment's models API functions"):
            for page in clients.lambda_functions().get_paginator("list_functions").paginate():
                for function in page.get("Functions", []):
                    variables = (function.get("Environment") or {}).get("Variables") or {}
                    if variables.get(TABLE_VARIABLE) == models_table_name and variables.get(variable):
                        return str(variables[variable])
    except LisaDesktopError:
        return None
    return None


@dataclass
class ExecutionWatch:
    """The execution LISA starts for one change of one model, found among those started after `begin`."""

    clients: AwsClients
    machine: str
    model_id: str
    deployment_name: str | None = None
    models_table_name: str | None = None
    _machines: list[str] = field(default_factory=list)
    _before: set[str] = field(default_factory=set)
    _since: datetime = field(default_factory=lambda: datetime.now(UTC))
    _execution: str | None = None
    _start: datetime | None = None
    _told: set[int] = field(default_factory=set)
    _status: str | None = None
    _unreadable: bool = False
    _searches: int = 0

    def begin(self) -> None:
        self._since = datetime.now(UTC)
        try:
            self._machines = state_machine_arns(
                self.clients, self.machine, self.deployment_name, self.models_table_name
            )
            self._before = {arn for machine in self._machines for arn in self._recent(machine)}
        except LisaDesktopError:
            self._unreadable = True

    def settled(self) -> bool:
        """Whether there is nothing more to tell: the execution ended, cannot be read, or was not found in
        `FIND_POLLS` polls (the follower waits for a running one, up to its deadline)."""
        if self._unreadable or not self._machines or self._status not in (None, "RUNNING"):
            return True
        return self._execution is None and self._searches >= FIND_POLLS

    def observe(self) -> Observation:
        if self.settled():
            return Observation()
        try:
            return self._observe()
        except LisaDesktopError as error:
            self._unreadable = True
            return Observation((Line("execution", f"LISA's {self.machine} execution not read: {error}"),))

    def _observe(self) -> Observation:
        lines: list[Line] = []
        if self._execution is None:
            self._searches += 1
            self._execution = self._find()
            if self._execution is None:
                return Observation()
            lines.append(Line("execution", f"LISA's {self.machine} execution {self._execution.rsplit(':', 1)[-1]}"))
        with self.clients.errors("states:DescribeExecution", self._execution):
            described = self.clients.stepfunctions().describe_execution(executionArn=self._execution)
        self._start = described.get("startDate")
        status = str(described.get("status", ""))
        lines += self._history()
        failure = None
        if status != "RUNNING":
            self._status = status
            lines.append(Line("execution", f"LISA's {self.machine} execution ended {status}"))
            failure = _failure(self.machine, self.model_id, status, described)
        return Observation(tuple(lines), failure)

    def _recent(self, machine: str) -> list[str]:
        with self.clients.errors("states:ListExecutions", machine):
            answer = self.clients.stepfunctions().list_executions(stateMachineArn=machine, maxResults=100)
        return [str(e["executionArn"]) for e in answer.get("executions", [])]

    def _find(self) -> str | None:
        for machine in self._machines:
            with self.clients.errors("states:ListExecutions", machine):
                answer = self.clients.stepfunctions().list_executions(stateMachineArn=machine, maxResults=100)
            for entry in answer.get("executions", []):
                arn = str(entry["executionArn"])
                started = entry.get("startDate")
                if arn in self._before or (isinstance(started, datetime) and started < self._since - CLOCK_SKEW):
                    continue
                with self.clients.errors("states:DescribeExecution", arn):
                    described = self.clients.stepfunctions().describe_execution(executionArn=arn)
                if _model_of(described.get("input")) == self.model_id:
                    return arn
        return None

    def _history(self) -> list[Line]:
        """The states entered since the last call. Events older than the execution's start are not its own
        (an emulator's placeholder history) and are passed over."""
        lines = []
        pages = self.clients.stepfunctions().get_paginator("get_execution_history")
        with self.clients.errors("states:GetExecutionHistory", self._execution):
            events = [e for page in pages.paginate(executionArn=self._execution) for e in page.get("events", [])]
        for event in events:
            event_id = int(event.get("id", 0))
            stamp = event.get("timestamp")
            if event_id in self._told or not str(event.get("type", "")).endswith("StateEntered"):
                continue
            if self._start is not None and isinstance(stamp, datetime) and stamp < self._start - CLOCK_SKEW:
                continue
            self._told.add(event_id)
            name = (event.get("stateEnteredEventDetails") or {}).get("name", "?")
            lines.append(Line("execution", f"LISA's {self.machine} entered {name}"))
        return lines


def _model_of(raw: Any) -> str | None:
    try:
        payload = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        return None
    if not isinstance(payload, Mapping):
        return None
    model = payload.get("model_id") or payload.get("modelId")
    return str(model) if model else None


def _failure(machine: str, model_id: str, status: str, described: Mapping[str, Any]) -> str | None:
    if status != "SUCCEEDED":
        cause = described.get("cause") or described.get("error") or ""
        return f"LISA's {machine} execution for {model_id} ended {status}: {cause}".rstrip(": ")
    try:
        output = json.loads(str(described.get("output") or "{}"))
    except json.JSONDecodeError:
        return None
    if not isinstance(output, Mapping):
        return None
    for key, what in ERRORS_IN_OUTPUT.items():
        if output.get(key):
            suffix = f"; {NOT_ROLLED_BACK}" if key.startswith("ecs_") else ""
            return f"LISA's {machine} execution recorded that {what} for {model_id}: {output[key]}{suffix}"
    return None
