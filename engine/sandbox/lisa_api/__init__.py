"""The sandbox's LISA REST API: LISA's models and configuration routes, authorizer and state machines over the
sandbox deployment.

`start_lisa_api(sandbox)` wires it to a started sandbox's deployment (its tables, AWS clients, LiteLLM registry and
simulator clock) and starts serving; `engine.sandbox.server.Sandbox` does that as it starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.sandbox.catalog import CatalogModel
from engine.sandbox.lisa_api.authorizer import Authorizer
from engine.sandbox.lisa_api.configuration import ConfigurationRoutes
from engine.sandbox.lisa_api.create_model import CREATE_MODEL
from engine.sandbox.lisa_api.delete_model import DELETE_MODEL
from engine.sandbox.lisa_api.executions import Execution, Executions, World
from engine.sandbox.lisa_api.handlers import ModelRoutes
from engine.sandbox.lisa_api.litellm import LiteLLMClient
from engine.sandbox.lisa_api.schedules import ScheduleRoutes
from engine.sandbox.lisa_api.server import ApiRequest, LisaApiServer
from engine.sandbox.lisa_api.stepfunctions import StepFunctionsView
from engine.sandbox.lisa_api.store import Tables
from engine.sandbox.lisa_api.tokens import token_table_name
from engine.sandbox.lisa_api.update_model import UPDATE_MODEL
from engine.schema.enums import ModelStatus

if TYPE_CHECKING:
    from engine.sandbox.server import Sandbox

__all__ = ["ApiRequest", "Execution", "LisaApiServer", "start_lisa_api"]


def start_lisa_api(sandbox: Sandbox) -> LisaApiServer:
    deployment = sandbox.deployment
    extras = deployment.extras
    dynamodb = sandbox.client_on_first_use("dynamodb")
    tables = Tables(dynamodb, deployment.table_name, extras.guardrails_table if extras else None)

    def create_stack(config: Mapping[str, Any]) -> tuple[str, str, str, str]:
        model = CatalogModel(config=dict(config), status=ModelStatus.CREATING)
        resources = deployment.create_model_stack(model, settle=False)
        if resources is None or not resources.stack_name or not resources.stack_id:
            raise RuntimeError(f"the stack of {model.model_id} was not created")
        return resources.stack_name, resources.stack_id, resources.auto_scaling_group, resources.endpoint_url

    def schedule(name: str, run: Any, seconds: float) -> None:
        sandbox.simulator.schedule(name, run, after=seconds)

    world = World(
        tables=tables,
        autoscaling=sandbox.client_on_first_use("autoscaling"),
        ecs=sandbox.client_on_first_use("ecs"),
        cloudformation=sandbox.client_on_first_use("cloudformation"),
        litellm=LiteLLMClient(sandbox.litellm.admin_url, sandbox.management_key),
        litellm_settings=sandbox.litellm_settings,
        schedule=schedule,
        poll_seconds=max(0.5, (sandbox.rollout_seconds + sandbox.warmup_seconds) / 10),
        warmup_seconds=sandbox.warmup_seconds,
        create_stack=create_stack,
    )
    machines = [CREATE_MODEL, UPDATE_MODEL, DELETE_MODEL]
    view = StepFunctionsView(
        sandbox.client_on_first_use("stepfunctions"), sandbox.account_id, sandbox.region, sandbox.deployment_name
    )
    view.register(machines)
    executions = Executions(world, {m.name: m for m in machines}, listeners=[view])
    models = ModelRoutes(tables, world.autoscaling, sandbox.client_on_first_use("ssm"), sandbox.prefix, executions)
    authorizer = Authorizer(
        dynamodb,
        sandbox.client_on_first_use("secretsmanager"),
        deployment.secret_name,
        token_table_name(sandbox.deployment_name),
    )
    schedules = ScheduleRoutes(tables, world.autoscaling, sandbox.region, sandbox.account_id)
    configuration = ConfigurationRoutes(dynamodb, deployment.configuration.table_name)
    server = LisaApiServer(models, schedules, configuration, authorizer, host="127.0.0.1")
    server.start()
    return server
