"""The wizard modules' sandbox-backed deployment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import sandbox_args


@pytest.fixture(scope="module")
def backend() -> Iterator[DeploymentBackend]:
    """One sandbox per module: each test changes a different model. Its rollouts and warm-ups are short (no test
    here looks at a job half-way), so that the jobs end in a second or two rather than ten."""
    with DeploymentBackend.open(sandbox_args()) as opened:
        sandbox = opened.target.sandbox
        assert sandbox is not None
        sandbox.simulator.rollout_seconds = 1.0
        sandbox.simulator.warmup_seconds = 0.5
        yield opened
