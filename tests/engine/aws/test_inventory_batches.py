"""A cold listing finds the models' clusters by their stacks' tags: its AWS calls do not grow with the models."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from engine.aws.clients import AwsClients
from engine.aws.cloudformation import ModelStackResources, StackGateway
from engine.aws.discovery import discover_deployment
from engine.aws.inventory import Inventory, ModelView
from engine.sandbox.server import Sandbox
from lisa_desktop import __version__


@dataclass
class Run:
    hosted: int
    cold: Counter[str]
    warm: Counter[str]
    detail: Counter[str]
    restarted: Counter[str]
    views: list[ModelView]
    whole: ModelStackResources
    """A stack's resources as a job asks for them after the listings."""


def counted(clients: AwsClients) -> Counter[str]:
    calls: Counter[str] = Counter()

    def hook(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    for client in (clients.dynamodb(), clients.ecs(), clients.autoscaling(), clients.cloudformation()):
        client.meta.events.register("before-call.*.*", hook)
    return calls


def listings(models: int) -> Run:
    """Summary listings cold and warm, then a detailed one, then a cold one of a fresh inventory that took the
    first one's stack cache (as the window's snapshot hands it over), against a sandbox of synthetic models."""
    with Sandbox(ambient=False, models=(), extra_models=models) as sandbox:
        clients = AwsClients(sandbox.session(), version=__version__, endpoint_url=sandbox.endpoint_url)
        deployment = discover_deployment(clients, sandbox.prefix)
        calls = counted(clients)
        inventory = Inventory(clients, deployment)
        runs: list[Counter[str]] = []
        for detail in (False, False, True):
            calls.clear()
            views = inventory.list_models(detail=detail)
            runs.append(Counter(calls))
        stacks = StackGateway(clients)
        stacks.import_cache(inventory.stacks.export_cache())
        calls.clear()
        Inventory(clients, deployment, stacks=stacks).list_models(detail=False)
        restarted = Counter(calls)
        record = next(view.record for view in views if view.live is not None)
        whole = stacks.model_resources(record.cloudformation_stack_name or "", record.cloudformation_stack_arn)
        hosted = sum(1 for view in views if view.live is not None)
        return Run(hosted, *runs, restarted, views, whole)


def test_a_cold_listing_takes_as_many_calls_for_sixty_models_as_for_twenty() -> None:
    small, large = listings(20), listings(60)
    assert (small.hosted, large.hosted) == (12, 36)
    for run in (small, large):
        assert run.cold["DescribeStackResources"] == 0
        assert run.cold["ListClusters"] == 1
        assert run.cold["DescribeClusters"] == 1  # the clusters' tags and task counts together, 100 a call
        assert run.cold["DescribeAutoScalingGroups"] == 1
        assert run.cold["ListServices"] == run.cold["DescribeServices"] == 0  # no model is in transition
    assert small.cold == large.cold
    assert small.warm == large.warm
    assert small.restarted == large.restarted


def test_a_warm_listing_and_a_restart_with_the_stack_cache_look_for_no_stack() -> None:
    run = listings(20)
    for calls in (run.warm, run.restarted):
        assert calls["ListClusters"] == calls["DescribeStackResources"] == calls["ListServices"] == 0
        assert calls["DescribeClusters"] == calls["DescribeAutoScalingGroups"] == 1
    # a detailed listing describes every service: their names are listed once, in each cluster found by tag
    assert run.detail["DescribeStackResources"] == 0
    assert run.detail["ListServices"] == run.detail["DescribeServices"] == run.hosted
    for view in run.views:
        if view.live is not None:
            assert view.live_error is None, view.model_id
            assert view.live.service is not None and view.live.service.is_active
            assert view.live.scaling_group is not None
            assert view.live.running_count == view.live.service.running_count
    # a job's lookup of a stack found by tag reads the whole stack
    assert not run.whole.by_tag
    assert run.whole.task_definition is not None and run.whole.resources
