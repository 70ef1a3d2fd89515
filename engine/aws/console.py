"""Links into the AWS Management Console, for the region (and partition) the resources live in."""

from __future__ import annotations

from urllib.parse import quote


def console_base(region: str) -> str:
    """`https://<region>.console.aws.amazon.com`, or the China / GovCloud console."""
    if region.startswith("cn-"):
        return "https://console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return "https://console.amazonaws-us-gov.com"
    return f"https://{region}.console.aws.amazon.com"


def region_of_arn(arn: str) -> str | None:
    """`arn:aws:ecs:us-east-1:...` → `us-east-1` (None for anything that is no regional ARN)."""
    parts = arn.split(":", 5)
    return parts[3] or None if len(parts) == 6 and parts[0] == "arn" else None


def _name(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1]


def _logs_part(text: str) -> str:
    """CloudWatch's console encodes log group and stream names twice, with `$` for `%`."""
    return quote(quote(text, safe=""), safe="").replace("%", "$")


def ecs_service_url(region: str, cluster: str, service: str) -> str:
    return (
        f"{console_base(region)}/ecs/v2/clusters/{quote(_name(cluster), safe='')}/services/"
        f"{quote(_name(service), safe='')}/health?region={region}"
    )


def auto_scaling_group_url(region: str, group: str) -> str:
    return f"{console_base(region)}/ec2/home?region={region}#AutoScalingGroupDetails:id={quote(group, safe='')}"


def log_group_url(region: str, group: str, stream: str | None = None) -> str:
    url = f"{console_base(region)}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{_logs_part(group)}"
    return f"{url}/log-events/{_logs_part(stream)}" if stream else url


def stack_url(region: str, stack_id: str) -> str:
    stack = quote(stack_id, safe="")
    return f"{console_base(region)}/cloudformation/home?region={region}#/stacks/stackinfo?stackId={stack}"


def target_group_url(region: str, target_group_arn: str) -> str:
    return f"{console_base(region)}/ec2/home?region={region}#TargetGroup:targetGroupArn={target_group_arn}"
