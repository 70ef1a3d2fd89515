"""Elastic Load Balancing v2: why a target group's targets are not healthy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from engine.aws.clients import AwsClients

HEALTHY: Final = "healthy"


@dataclass(frozen=True)
class TargetHealth:
    target_id: str
    state: str
    """initial, healthy, unhealthy, unused, draining, unavailable."""
    reason: str | None
    """`Target.FailedHealthChecks`, `Elb.RegistrationInProgress`, ..."""
    description: str | None

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> TargetHealth:
        health: Mapping[str, Any] = raw.get("TargetHealth") or {}
        return cls(
            target_id=str((raw.get("Target") or {}).get("Id", "")),
            state=str(health.get("State", "")),
            reason=health.get("Reason"),
            description=health.get("Description"),
        )


class ElbGateway:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def target_health(self, target_group_arn: str) -> list[TargetHealth]:
        """Every registered target of the group with its state and, when not healthy, the reason (one call: the
        API does not page)."""
        with self._clients.errors("elasticloadbalancing:DescribeTargetHealth", f"target group {target_group_arn}"):
            response = self._clients.elbv2().describe_target_health(TargetGroupArn=target_group_arn)
        return [TargetHealth.from_response(raw) for raw in response.get("TargetHealthDescriptions", ())]

    def unhealthy_targets(self, target_group_arn: str) -> list[TargetHealth]:
        return [target for target in self.target_health(target_group_arn) if target.state != HEALTHY]
