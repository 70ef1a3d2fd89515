"""`models create | delete`: make and remove models through the engine's create and delete jobs.

The job plumbing (background child, job log, result JSON) is `changes.py`'s; the commands here only say which
job to submit.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TextIO

from engine.errors import InvalidInput, Problem
from engine.files import load_document
from engine.jobs.context import Gateways
from engine.jobs.create_job import CreatePlan, plan_create, validate_create
from engine.jobs.delete_job import deletion_summary, guardrails_of, validate_delete
from engine.jobs.events import JobEvent
from engine.jobs.runner import JobHandle, JobRunner
from engine.schema.record import ModelRecord
from engine.schema.validate import parse_create
from engine.secrets import masked
from lisa_desktop.cli import team
from lisa_desktop.cli.changes import _detach, _job_options, follow_job, job_settings, warn_unknown_fields
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.target import open_target

Listener = Callable[[JobEvent], None]


def add_parsers(models: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    create = models.add_parser(
        "create",
        parents=[parent],
        help="create a model (CreateModelRequest file)",
        description="Validate the request and create the model: a third-party or internal model is registered "
        "with LiteLLM; a LISA-hosted model gets its CloudFormation stack <deploymentName>-<modelId>, healthy "
        "instances, then LiteLLM. The console builds no image: containerConfig.image.baseImage is deployed as "
        "given. Without --wait the command returns once the record is written (status Creating) and the job goes "
        "on in a background process. A failed create leaves the model Failed, with what it made named; remove it "
        "with 'models delete'.",
    )
    create.add_argument("file", metavar="FILE", help="CreateModelRequest as YAML or JSON")
    create.add_argument("--dry-run", action="store_true", help="print what would be made and change nothing")
    _job_options(create)
    create.set_defaults(handler=run_create)

    delete = models.add_parser(
        "delete",
        parents=[parent],
        help="delete a model: its LiteLLM entry, its stack (if any) and its record",
        description="Delete an InService, Stopped or Failed model. Without --yes the model id must be typed back "
        "(on a terminal). Without --wait the command returns once the model is Deleting.",
    )
    delete.add_argument("model_id", metavar="ID")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _job_options(delete)
    delete.set_defaults(handler=run_delete)


def run_create(args: argparse.Namespace, out: TextIO) -> int:
    request = parse_create(load_document(args.file))
    warn_unknown_fields(request)
    args.model_id = request.modelId
    with open_target(args) as target:
        if target.lisa_api is not None:
            return team.run_create(args, out, target, request)
        aws = Gateways.for_deployment(target.clients, target.deployment())
        validated = validate_create(aws, request)
        if args.dry_run:
            print_create_plan(out, plan_create(aws, validated), args.json)
            return ExitCode.OK
        if not args.wait and not _is_child(args) and not target.sandbox:
            return _detach(args, out)
        settings = job_settings(args, target)

        def submit(runner: JobRunner, listeners: tuple[Listener, ...]) -> JobHandle:
            return runner.submit_create(aws, request, settings=settings, listeners=listeners)

        return follow_job(args, out, submit, target)


def run_delete(args: argparse.Namespace, out: TextIO) -> int:
    with open_target(args) as target:
        if target.lisa_api is not None:
            return team.run_delete(args, out, target)
        aws = Gateways.for_deployment(target.clients, target.deployment())
        record = validate_delete(aws, args.model_id)
        if not args.yes and not _is_child(args):
            _confirm_delete(aws, record)
        if not args.wait and not _is_child(args) and not target.sandbox:
            confirmed = argparse.Namespace(**vars(args))
            confirmed.argv = [*args.argv, *([] if "--yes" in args.argv else ["--yes"])]
            return _detach(confirmed, out)
        settings = job_settings(args, target)

        def submit(runner: JobRunner, listeners: tuple[Listener, ...]) -> JobHandle:
            return runner.submit_delete(aws, args.model_id, settings=settings, listeners=listeners)

        return follow_job(args, out, submit, target)


def _is_child(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "background_child", False))


def _confirm_delete(aws: Gateways, record: ModelRecord) -> None:
    model_id = record.model_id
    if sys.stdin is None or not sys.stdin.isatty():
        raise InvalidInput([Problem("--yes", f"deleting '{model_id}' needs confirmation: add --yes")], "delete")
    removes = ", ".join(deletion_summary(record, guardrails_of(aws, model_id)))
    sys.stderr.write(f"Deleting '{model_id}' ({record.model_status}) removes: {removes}.\n")
    answer = input(f"Type the model id ({model_id}) to delete it: ")
    if answer.strip() != model_id:
        raise InvalidInput([Problem("confirmation", "the id typed does not match; nothing was changed")], "delete")


def print_create_plan(out: TextIO, plan: CreatePlan, as_json: bool) -> None:
    if as_json:
        json.dump(plan.to_dict(), out, indent=2, default=str)
        out.write("\n")
        return
    validated = plan.validated
    request = validated.request
    out.write(f"Plan: create {validated.model_id} ({validated.hosting}, {request.modelType}: {request.modelName})\n")
    out.write(f"  record: {validated.model_id} in table {plan.table_name}, Creating → InService\n")
    if validated.stack_name is not None:
        network = plan.network
        where = f", VPC {network.vpc_id}, subnets {', '.join(network.subnet_ids)}" if network is not None else ""
        out.write(f"  CloudFormation stack: {validated.stack_name} (CAPABILITY_NAMED_IAM{where})\n")
        width = max((len(logical) for logical, _ in plan.resources), default=0)
        for logical, kind in plan.resources:
            out.write(f"    {logical:<{width}}  {kind}\n")
        if plan.outputs:
            out.write(f"    outputs: {', '.join(plan.outputs)}\n")
        out.write("  capacity: wait until the Auto Scaling group's instances are healthy\n")
    params = json.dumps(masked(plan.litellm_params), sort_keys=True)
    out.write(f"  LiteLLM: model_name {validated.model_id}, litellm_params {params}\n")
    out.write(f"Steps: {' → '.join(validated.steps)}\n")
    for note in plan.notes:
        out.write(f"Note: {note}\n")
    out.write("Dry run: nothing was changed.\n")
