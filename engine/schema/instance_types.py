"""EC2 instance types as botocore's EC2 service model knows them (LISA checks the same list)."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import StringShape


@cache
def ec2_instance_types() -> frozenset[str]:
    shape = botocore.session.get_session().get_service_model("ec2").shape_for("InstanceType")
    assert isinstance(shape, StringShape)
    return frozenset(shape.enum)


def is_instance_type(name: str) -> bool:
    return name in ec2_instance_types()
