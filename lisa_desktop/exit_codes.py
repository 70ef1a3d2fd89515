"""The command line's exit codes (design.md: stable, scripts rely on them)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INVALID = 2
    STATUS_NOT_ALLOWED = 3
    NOT_FOUND = 4
    JOB_FAILED = 5
    UNREACHABLE = 6
    THROTTLED = 7
    """AWS kept throttling the calls after retries: the deployment is there; try again later."""
