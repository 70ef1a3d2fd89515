"""A job started against a sandbox waits the model warm-up that sandbox publishes (its instances' warm-up), not
LISA's `estimatedInstanceWarmup` of minutes; a real deployment keeps the model's own."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from engine.aws.discovery import SANDBOX_WARMUP_PARAMETER
from engine.sandbox.server import Sandbox
from lisa_desktop.target import SANDBOX_MODEL_WARMUP_CAP_S, open_target
from tests.lisa_desktop.cli.endpoint_cli import cli


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    with Sandbox(ambient=False, rollout_seconds=0.3, warmup_seconds=0.4) as running:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", running.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", running.secret_key)
        yield running


def test_a_start_waits_the_warm_up_the_sandbox_publishes(sandbox: Sandbox) -> None:
    code, out = cli(sandbox, "models", "start", "llama3-8b-tgi", "--wait")
    assert code == 0, out
    assert "waiting 0.4 s for the model to warm up" in out


def test_an_endpoint_that_publishes_no_warm_up_gets_the_default_cap(sandbox: Sandbox) -> None:
    sandbox.client("ssm").delete_parameter(Name=f"{sandbox.prefix}/{SANDBOX_WARMUP_PARAMETER}")
    with open_target(argparse.Namespace(endpoint_url=sandbox.endpoint_url)) as target:
        assert target.model_warmup_cap_s() == SANDBOX_MODEL_WARMUP_CAP_S


def test_the_target_reads_the_warm_up_the_sandbox_publishes_and_a_deployment_has_no_cap(sandbox: Sandbox) -> None:
    with open_target(argparse.Namespace(endpoint_url=sandbox.endpoint_url)) as target:
        assert target.model_warmup_cap_s() == 0.4
        deployment = dataclasses.replace(target, is_sandbox=False)
        assert deployment.model_warmup_cap_s() is None
