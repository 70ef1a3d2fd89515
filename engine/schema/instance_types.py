"""EC2 instance types as botocore's EC2 service model knows them (LISA checks the same list), and the GPU count of
the GPU families LISA deploys models on."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Final

_ONE_GPU_SIZES: Final = ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")
_G_FAMILY_GPUS: Final[Mapping[str, int]] = {
    **dict.fromkeys(_ONE_GPU_SIZES, 1),
    "12xlarge": 4,
    "24xlarge": 4,
    "48xlarge": 8,
}
GPU_COUNTS: Final[Mapping[str, Mapping[str, int]]] = {
    "g4dn": {**dict.fromkeys(_ONE_GPU_SIZES, 1), "12xlarge": 4, "metal": 8},
    "g5": _G_FAMILY_GPUS,
    "g6": _G_FAMILY_GPUS,
    "g6e": _G_FAMILY_GPUS,
    "p3": {"2xlarge": 1, "8xlarge": 4, "16xlarge": 8},
    "p3dn": {"24xlarge": 8},
    "p4d": {"24xlarge": 8},
    "p4de": {"24xlarge": 8},
    "p5": {"4xlarge": 1, "48xlarge": 8},
    "p5e": {"48xlarge": 8},
    "p5en": {"48xlarge": 8},
}
"""Family → size → NVIDIA GPUs per instance (EC2's DescribeInstanceTypes `GpuInfo`)."""


@cache
def ec2_instance_types() -> frozenset[str]:
    from botocore.model import StringShape  # slow to import: only when an instance type is checked

    from engine.aws.sessions import service_model

    shape = service_model("ec2").shape_for("InstanceType")
    assert isinstance(shape, StringShape)
    return frozenset(shape.enum)


def is_instance_type(name: str) -> bool:
    return name in ec2_instance_types()


def gpu_count(instance_type: str) -> int | None:
    """The GPUs of an instance type of a family in `GPU_COUNTS`; None for any other type (no GPU, or unknown)."""
    family, _, size = instance_type.partition(".")
    return GPU_COUNTS.get(family, {}).get(size)
