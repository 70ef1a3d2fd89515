"""The deployment's CreateModel, UpdateModel and DeleteModel state machines in moto's Step Functions, with one
execution per change the API starts (its input as LISA's handler gives it), so that a client with AWS access finds
it by listing the machine's executions, as on a real deployment.

moto does not run them: the sandbox's own executions (`executions.py`) do the work, and each one's end is copied onto
its moto execution (status, stop date, output or error and cause), and its history answers with the states it
entered (`TaskStateEntered` events named as LISA's states).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from moto.stepfunctions.models import stepfunctions_backends

from engine.sandbox.lisa_api.executions import Execution, Machine
from engine.sandbox.moto_direct import DirectStepFunctions


def state_machine_name(machine: str, deployment_name: str) -> str:
    """`<machine>SM-<deploymentName>` (LISA's CDK constructs are `CreateModelSM`, `UpdateModelSM`, `DeleteModelSM`)."""
    return f"{machine}SM-{deployment_name}"


class StepFunctionsView:
    def __init__(self, client: Any, account_id: str, region: str, deployment_name: str) -> None:
        self.client = client
        self.account_id = account_id
        self.region = region
        self.deployment_name = deployment_name
        self.arns: dict[str, str] = {}
        self._executions: dict[str, str] = {}

    def register(self, machines: list[Machine]) -> None:
        """The machines, made as the sandbox's deployment is (`moto_direct`): before any request."""
        role = f"arn:aws:iam::{self.account_id}:role/{self.deployment_name}-ModelApiRole"
        for machine in machines:
            states = {
                name: {
                    "Type": "Task",
                    "Resource": f"arn:aws:lambda:{self.region}:{self.account_id}:function:"
                    f"{self.deployment_name}-models-{name}",
                    "End": True,
                }
                for name in machine.states
            }
            self.arns[machine.name] = DirectStepFunctions(self.account_id, self.region).create_state_machine(
                name=state_machine_name(machine.name, self.deployment_name),
                definition=json.dumps({"StartAt": machine.first, "States": states}),
                roleArn=role,
            )

    def __call__(self, execution: Execution) -> None:
        """An execution started (RUNNING) or ended."""
        if execution.status == "RUNNING" and execution.name not in self._executions:
            started = self.client.start_execution(
                stateMachineArn=self.arns[execution.machine], name=execution.name, input=json.dumps(execution.input)
            )
            self._executions[execution.name] = started["executionArn"]
            return
        arn = self._executions.get(execution.name)
        if arn is None:
            return
        mirrored = stepfunctions_backends[self.account_id][self.region].describe_execution(arn)
        mirrored.status = execution.status
        mirrored.stop_date = datetime.fromtimestamp((execution.stopped_ms or 0) / 1000, UTC)
        if execution.status == "SUCCEEDED":
            mirrored.output = json.dumps(execution.event, default=str)
        else:
            mirrored.error = "States.TaskFailed"
            mirrored.cause = json.dumps({"errorMessage": execution.error or ""})
        events = _history(execution)
        setattr(mirrored, "get_execution_history", lambda roleArn: events)  # noqa: B010 (this execution only)


def _history(execution: Execution) -> list[dict[str, Any]]:
    def at(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, UTC)

    events: list[dict[str, Any]] = [
        {
            "timestamp": at(execution.started_ms),
            "type": "ExecutionStarted",
            "id": 1,
            "previousEventId": 0,
            "executionStartedEventDetails": {"input": json.dumps(execution.input)},
        }
    ]
    for name, entered in zip(execution.states, execution.entered_ms, strict=True):
        events.append(
            {
                "timestamp": at(entered),
                "type": "TaskStateEntered",
                "id": len(events) + 1,
                "previousEventId": len(events),
                "stateEnteredEventDetails": {"name": name},
            }
        )
    ended = at(execution.stopped_ms or execution.started_ms)
    if execution.status == "SUCCEEDED":
        events.append(
            {
                "timestamp": ended,
                "type": "ExecutionSucceeded",
                "id": len(events) + 1,
                "previousEventId": len(events),
                "executionSucceededEventDetails": {"output": json.dumps(execution.event, default=str)},
            }
        )
    else:
        events.append(
            {
                "timestamp": ended,
                "type": "ExecutionFailed",
                "id": len(events) + 1,
                "previousEventId": len(events),
                "executionFailedEventDetails": {"error": "States.TaskFailed", "cause": execution.error or ""},
            }
        )
    return events
