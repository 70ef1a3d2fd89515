"""The create job: LISA's CreateModel state machine (reference §4.1), run by the console.

Third-party and internal-hosted models: the record goes in as `Creating` (a conditional put: the id must be
free) → LiteLLM `POST /model/new` → `InService` with the LiteLLM id, within seconds.

LISA-hosted models: the record goes in as `Creating` → the network is discovered (VPC, subnets) → CreateStack
`<deploymentName>-<modelId>` from `engine.stack_template` (the console's own template, not LISA's CDK app) →
the stack's name and id are recorded → the stack is polled until CREATE_COMPLETE (with a deadline; a
`*_FAILED` or `ROLLBACK_*` status fails the job with CloudFormation's reasons) → its outputs give `model_url`
(`modelEndpointUrl` + `/v1`) and the Auto Scaling group → the group's instances must become healthy (with a
deadline; LISA carries on after its timeout, the console does not) → LiteLLM registration → `InService`.

The console builds no image. LISA builds every image that is not `ecr` (its serving layer on the base image)
on a builder EC2 instance; the console deploys `containerConfig.image.baseImage` as the image reference it is
(`ecr` images are checked with DescribeImages first; `asset`, `registry` and `external` pass as plain image
references; a `tarball` is refused, as it is a file, not a reference). A LISA-hosted model's schedule is set as
LISA's CreateSchedule step sets it, once its capacity is up (`engine.schedules.create_step`: a failure is recorded
in `lastScheduleFailed`, the create goes on).

Guardrails (`guardrailsConfig`) are made as LISA's AddGuardrailsToLitellm makes them, after the LiteLLM
registration (and the context window): per guardrail a LiteLLM guardrail `<guardrailName>-<modelId>` and its row of
the guardrails table (`engine.jobs.guardrails_step`); the record goes InService only once they are all there (LISA
writes InService first and marks the model Failed if a guardrail then fails). A create that fails after making
some removes them again (LISA cleans up the ones its step made).

A failure at any step leaves the model `Failed` with the reason and the resources made so far named (in the
record, the job's events and its result). Nothing is deleted automatically: `models delete` removes the
LiteLLM entry, the stack and the record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from engine.aws.cloudformation import MODEL_ID_TAG, MODEL_STACK_CAPABILITIES, StackFailed, StackInfo
from engine.aws.discovery import deployment_name
from engine.aws.errors import ModelAlreadyExists, error_code, error_message
from engine.aws.guardrails import litellm_payload
from engine.aws.models_table import HEARTBEAT_ATTRIBUTE, HOLD_ATTRIBUTES, HOLDER_ATTRIBUTE, OPERATION_ATTRIBUTE
from engine.context_window import config_json_keys, context_window_told, max_input_tokens, max_position_embeddings
from engine.errors import InvalidInput, LisaDesktopError, ModelNotFound, Problem
from engine.guardrail_changes import GUARDRAILS_TABLE_MISSING, create_changes, guardrail_problems
from engine.jobs.capacity_step import progress_message, sizes, wait_for_capacity
from engine.jobs.context import Gateways, JobCancelled, JobContext
from engine.jobs.events import StepState
from engine.jobs.guardrails_step import GuardrailsStep
from engine.jobs.lease import LeaseLost
from engine.jobs.lifecycle import adopt_registration, register
from engine.jobs.polling import poll_until
from engine.jobs.update_job import FAILURE_REASON_LIMIT, JobResult, Outcome, abandoned, after_the_end, holder_text
from engine.litellm_params import litellm_params_for
from engine.plan import create_steps
from engine.schedules.create_step import create_schedule
from engine.schema.enums import ImageType, ModelHostingType, ModelStatus
from engine.schema.record import ModelRecord
from engine.schema.requests import CreateModelRequest
from engine.secrets import masked

if TYPE_CHECKING:
    from engine.stack_template import StackNetwork

# engine.stack_template is imported where it is used: the runner (and with it update/start/stop) must not
# depend on the template module loading.

log = logging.getLogger(__name__)

GUARDRAILS_POINT_KEY: Final = "guardrailsConfig"
"""Where the intake's journal point keeps the request's guardrails (they hold no secret)."""
CREATE: Final = "create"
"""`JobResult.operation` of a create. `Operation` holds the operations with a status gate (a create has none:
the model does not exist yet), so "create" is not one of its members; it prints and compares as "create"."""
ENDPOINT_OUTPUT: Final = "modelEndpointUrl"
GROUP_OUTPUT: Final = "autoScalingGroup"
ALB_PLACEHOLDER: Final = "http://<load balancer DNS name>"
STACK_NAME_LIMIT: Final = 128
"""CloudFormation's longest stack name."""
_ECR_HOST: Final = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$")


@dataclass(frozen=True)
class ValidatedCreate:
    """A create request that passed every check that can be made before the first write."""

    request: CreateModelRequest
    hosting: ModelHostingType
    model_config: dict[str, Any]
    """What the record stores as `model_config`: the request as given, minus guardrailsConfig (as LISA does)."""
    deployment_name: str
    stack_name: str | None
    """`<deploymentName>-<modelId>` for a LISA-hosted model, else None."""
    notes: tuple[str, ...] = ()

    @property
    def model_id(self) -> str:
        return self.request.modelId

    @property
    def is_hosted(self) -> bool:
        return self.hosting is ModelHostingType.LISA_HOSTED

    @property
    def steps(self) -> tuple[str, ...]:
        steps = create_steps(self.hosting)
        if self.request.guardrailsConfig:  # LISA's AddGuardrailsToLitellm, after the LiteLLM registration
            steps = (*steps[:-1], "guardrail", steps[-1])
        return steps


@dataclass(frozen=True)
class CreatePlan:
    """What a create would make (the dry run): the record, the stack and its resources, the LiteLLM entry."""

    validated: ValidatedCreate
    table_name: str
    litellm_params: dict[str, Any]
    network: StackNetwork | None = None
    template: dict[str, Any] | None = None
    resources: tuple[tuple[str, str], ...] = ()
    """(logical id, resource type) of every resource in the template."""
    outputs: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        validated = self.validated
        stack: dict[str, Any] | None = None
        if validated.stack_name is not None:
            stack = {
                "name": validated.stack_name,
                "capabilities": list(MODEL_STACK_CAPABILITIES),
                "resources": [{"logicalId": logical, "type": kind} for logical, kind in self.resources],
                "outputs": list(self.outputs),
                "network": _network_dict(self.network) if self.network is not None else None,
            }
        return {
            "operation": "create",
            "modelId": validated.model_id,
            "hostingType": str(validated.hosting),
            "record": {"table": self.table_name, "statuses": ["Creating", "InService"]},
            "stack": stack,
            "litellm": {"model_name": validated.model_id, "litellm_params": masked(self.litellm_params)},
            "guardrails": [
                {**litellm_payload(config, validated.model_id)["guardrail"], "allowedGroups": config.allowedGroups}
                for config in (validated.request.guardrailsConfig or {}).values()
            ],
            "steps": list(validated.steps),
            "notes": list(self.notes),
        }


def _network_dict(network: StackNetwork) -> dict[str, Any]:
    return {
        "vpcId": network.vpc_id,
        "subnetIds": list(network.subnet_ids),
        "securityGroupIds": list(network.security_group_ids),
        "imageId": network.image_id,
        "modelsBucket": network.models_bucket,
    }


# -- validation ---------------------------------------------------------------------------------------------------


def validate_create(aws: Gateways, request: CreateModelRequest) -> ValidatedCreate:
    """Everything that can be checked before the first write: what the console cannot make (guardrails,
    tarball images), the model id is free (ModelAlreadyExists), an `ecr` image exists
    (DescribeImages), no stack of the model's name is left over. Raises InvalidInput; nothing is written."""
    model_id = request.modelId
    hosting = request.effective_hosting_type
    problems: list[Problem] = []
    notes: list[str] = []
    problems.extend(guardrail_problems(request.guardrailsConfig, create=True))
    if request.guardrailsConfig and not aws.deployment.guardrails_table_name:
        problems.append(Problem("guardrailsConfig", GUARDRAILS_TABLE_MISSING))
    container = request.containerConfig
    if hosting is ModelHostingType.LISA_HOSTED and container is not None:
        image = container.image
        if image.type is ImageType.TARBALL:
            problems.append(
                Problem(
                    "containerConfig.image.type",
                    "tarball images are built by LISA; the console builds nothing: load and push the image to ECR "
                    "and give it as type ecr",
                )
            )
        elif image.type is not ImageType.ECR:
            notes.append(
                f"image: {image.baseImage} ({image.type}) is deployed as the image reference it is; the console "
                "builds nothing (LISA would build its serving layer on top of it)"
            )
    if problems:
        raise InvalidInput(problems, f"create of '{model_id}'")

    try:
        aws.models.get(model_id)
    except ModelNotFound:
        pass
    else:
        raise ModelAlreadyExists(model_id)

    name = deployment_name(aws.deployment.prefix)
    stack: str | None = None
    if hosting is ModelHostingType.LISA_HOSTED:
        from engine.stack_template import stack_name

        assert container is not None
        if container.image.type is ImageType.ECR:
            notes.append(check_ecr_image(aws, container.image.baseImage))
        stack = stack_name(name, model_id)
        if len(stack) > STACK_NAME_LIMIT:
            raise InvalidInput(
                [
                    Problem(
                        "modelId",
                        f"at most {STACK_NAME_LIMIT - len(name) - 1} characters on this deployment: a LISA-hosted "
                        f"model's CloudFormation stack is named {name}-<modelId>, and CloudFormation takes at most "
                        f"{STACK_NAME_LIMIT} (LISA's API would accept the id, then fail to deploy it)",
                    )
                ],
                f"create of '{model_id}'",
            )
        existing = aws.stacks.describe_or_none(stack)
        if existing is not None and existing.status != "DELETE_COMPLETE":
            raise InvalidInput(
                [
                    Problem(
                        "modelId",
                        f"a CloudFormation stack {stack} exists already ({existing.status}), with no model record: "
                        "delete the stack or choose another id",
                    )
                ],
                f"create of '{model_id}'",
            )
    return ValidatedCreate(request, hosting, request.stored_config(), name, stack, tuple(notes))


def ecr_reference(base_image: str) -> tuple[str | None, str, dict[str, str]]:
    """`[<account>.dkr.ecr.<region>.amazonaws.com/]repo[:tag|@digest]` → (registry id, repository, image id);
    the tag defaults to `latest`."""
    reference = base_image.strip()
    registry: str | None = None
    host, slash, rest = reference.partition("/")
    if slash and ("." in host or ":" in host):
        found = _ECR_HOST.match(host)
        registry = found.group(1) if found else None
        reference = rest
    if "@" in reference:
        repository, _, digest = reference.partition("@")
        return registry, repository, {"imageDigest": digest}
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        repository, _, tag = reference.rpartition(":")
        return registry, repository, {"imageTag": tag}
    return registry, reference, {"imageTag": "latest"}


def check_ecr_image(aws: Gateways, base_image: str) -> str:
    """LISA's StartCopyDockerImage for `ecr` images: DescribeImages on repository:tag. InvalidInput naming
    `containerConfig.image.baseImage` when the repository or the image is missing; returns a note."""
    registry, repository, image_id = ecr_reference(base_image)
    where = "containerConfig.image.baseImage"
    if not repository:
        raise InvalidInput([Problem(where, f"'{base_image}' names no ECR repository")], "image")
    arguments: dict[str, Any] = {"repositoryName": repository, "imageIds": [image_id]}
    if registry:
        arguments["registryId"] = registry
    shown = f"{repository}{'@' if 'imageDigest' in image_id else ':'}{next(iter(image_id.values()))}"
    with aws.clients.errors("ecr:DescribeImages", f"repository {repository}"):
        try:
            found = aws.clients.ecr().describe_images(**arguments)
        except ClientError as exc:
            code = error_code(exc)
            if code == "RepositoryNotFoundException":
                raise InvalidInput(
                    [Problem(where, f"ECR repository '{repository}' does not exist (image {shown})")], "image"
                ) from exc
            if code == "ImageNotFoundException":
                raise InvalidInput([Problem(where, f"ECR image {shown} does not exist")], "image") from exc
            if code == "InvalidParameterException":
                raise InvalidInput(
                    [Problem(where, f"ECR does not accept the image reference {shown}: {error_message(exc)}")], "image"
                ) from exc
            raise
    details = found.get("imageDetails") or []
    if not details:
        raise InvalidInput([Problem(where, f"ECR image {shown} does not exist")], "image")
    digest = details[0].get("imageDigest", "")
    return f"image: ECR image {shown} exists ({digest or 'no digest'}); it is deployed as it is"


def instance_memory_mib(aws: Gateways, instance_type: str) -> int | None:
    """The instance type's memory (DescribeInstanceTypes), for the container's default memory reservation;
    None when it cannot be read."""
    try:
        with aws.clients.errors("ec2:DescribeInstanceTypes", instance_type):
            described = aws.clients.ec2().describe_instance_types(InstanceTypes=[instance_type])  # type: ignore[list-item]
        return int(described["InstanceTypes"][0]["MemoryInfo"]["SizeInMiB"])
    except (LisaDesktopError, KeyError, IndexError, ValueError, TypeError):
        return None


def template_resources(template: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    resources = template.get("Resources") or {}
    return tuple((str(logical), str((body or {}).get("Type", "?"))) for logical, body in resources.items())


def plan_create(aws: Gateways, validated: ValidatedCreate) -> CreatePlan:
    """What the create would make, reading only (the dry run): for a LISA-hosted model the network is
    discovered and the stack template built, exactly as the job will."""
    request = validated.request
    if not validated.is_hosted:
        return CreatePlan(
            validated,
            aws.models.table_name,
            litellm_params_for(validated.model_config, None, aws.litellm_settings()[0]),
            notes=validated.notes,
        )
    from engine.stack_template import discover_network, model_stack_template

    network = discover_network(aws)
    memory = instance_memory_mib(aws, str(request.instanceType))
    template = model_stack_template(
        request, deployment_name=validated.deployment_name, network=network, instance_memory_mib=memory
    )
    notes = list(validated.notes)
    if memory is None:
        notes.append(f"the memory of {request.instanceType} could not be read; the template's default applies")
    return CreatePlan(
        validated,
        aws.models.table_name,
        litellm_params_for(validated.model_config, f"{ALB_PLACEHOLDER}/v1", aws.litellm_settings()[0]),
        network=network,
        template=template,
        resources=template_resources(template),
        outputs=tuple(str(key) for key in (template.get("Outputs") or {})),
        notes=tuple(notes),
    )


# -- the job -------------------------------------------------------------------------------------------------------


def cut_reason(text: str) -> str:
    return text if len(text) <= FAILURE_REASON_LIMIT else text[: FAILURE_REASON_LIMIT - 1] + "…"


class CreateJob:
    """One validated create. `run()` executes every step on the calling (worker) thread."""

    def __init__(self, ctx: JobContext, validated: ValidatedCreate) -> None:
        self.ctx = ctx
        self.validated = validated
        self.made: dict[str, Any] = {}
        """What exists because of this job: stack, stackId, group, endpoint, litellmId."""
        self._finished: JobResult | None = None
        """The result once the record is InService: nothing after it undoes the create."""
        self._models_bucket: str | None = None
        """The deployment's models bucket, once the network was discovered for the stack."""
        self._guardrails = GuardrailsStep(ctx, validated.model_id)

    @property
    def model_id(self) -> str:
        return self.validated.model_id

    def run(self) -> JobResult:
        ctx, validated = self.ctx, self.validated
        request = validated.request
        what = f"{validated.hosting} model {self.model_id} ({request.modelName})"
        if validated.is_hosted:
            scaling = request.autoScalingConfig
            assert scaling is not None
            what += (
                f", {request.inferenceContainer} on {request.instanceType}, "
                f"{scaling.minCapacity}..{scaling.maxCapacity} instances, stack {validated.stack_name}"
            )
        ctx.report("validate", StepState.SUCCEEDED, f"create of {what}; steps {' → '.join(validated.steps)}")
        for note in validated.notes:
            ctx.report("validate", StepState.PROGRESS, note)
        self._intake()
        return self._carry_on(resume=False)

    def resume(self) -> JobResult:
        """Finish a create whose process died after its intake: every step again, each skipped or adopted where
        AWS already has what it makes (the stack of the model's name, a LiteLLM entry of the model's name), so
        nothing is made twice. The record must be Creating and held by this job (`recovery` checks it)."""
        self.ctx.report("recover", StepState.STARTED, f"resuming the create of {self.model_id}")
        return self._carry_on(resume=True)

    def _carry_on(self, *, resume: bool) -> JobResult:
        ctx = self.ctx
        try:
            if self.validated.is_hosted:
                self._hosted(resume=resume)
                create_schedule(ctx, self.model_id)
            record = self.ctx.aws.models.get(self.model_id)
            adopted = adopt_registration(ctx, record.model_id) if resume else None
            litellm_id = adopted or register(ctx, record)
            self.made["litellmId"] = litellm_id
            context_window = self._context_window(litellm_id)
            self._guardrails.apply(create_changes(self.validated.request.guardrailsConfig), resume=resume)
            return self._finalize(litellm_id, context_window)
        except Exception as error:
            if self._finished is not None:
                return after_the_end(self._finished, error)
            if isinstance(error, LeaseLost):
                return abandoned(self.ctx, CREATE, self.model_id, error)
            self._undo_guardrails()
            if isinstance(error, JobCancelled):
                return self._fail("cancelled by the operator", Outcome.CANCELLED)
            if isinstance(error, LisaDesktopError):
                return self._fail(str(error))
            log.error("create of %s failed", self.model_id, exc_info=error)  # the model must not stay Creating
            return self._fail(f"{type(error).__name__}: {error}")

    # -- steps ------------------------------------------------------------------------------------------------

    def _intake(self) -> None:
        """SetModelToCreating: a conditional put (ModelAlreadyExists if the id was taken meanwhile)."""
        validated = self.validated
        item: dict[str, Any] = {
            "model_id": self.model_id,
            "model_status": ModelStatus.CREATING.value,
            "model_config": validated.model_config,
            HOLDER_ATTRIBUTE: holder_text(self.ctx),
            OPERATION_ATTRIBUTE: CREATE,
            HEARTBEAT_ATTRIBUTE: self.ctx.aws.models.now_ms(),
        }
        # As LISA's create handler: stored even when the request has none (null).
        item["model_description"] = validated.request.modelDescription
        if not validated.is_hosted:
            # What LISA's AddModelToLitellm stores for a model without infrastructure: the api_base registered
            # (the URL of an internal or third-party server, "" for a provider route) and no Auto Scaling group.
            item["model_url"] = str(litellm_params_for(validated.model_config, None).get("api_base", ""))
            item["auto_scaling_group"] = ""
        self.ctx.report("intake", StepState.STARTED, f"writing the record of {self.model_id} (Creating)")
        guardrails = validated.request.guardrailsConfig
        # The record does not hold the guardrails (as LISA's): a resumed create reads them from this point.
        kept = {GUARDRAILS_POINT_KEY: {k: v.dump(defaults=True) for k, v in guardrails.items()}} if guardrails else {}
        self.ctx.intent("intake", toStatus=str(ModelStatus.CREATING), holder=item[HOLDER_ATTRIBUTE], **kept)
        self.ctx.aws.models.put_new(ModelRecord.from_item(item))
        self.ctx.took_hold(item[HOLDER_ATTRIBUTE])
        self.ctx.done("intake", toStatus=str(ModelStatus.CREATING))
        self.ctx.report(
            "intake",
            StepState.SUCCEEDED,
            f"{self.model_id} is Creating in table {self.ctx.aws.models.table_name}, held by job {self.ctx.job_id}",
        )

    def _hosted(self, *, resume: bool = False) -> None:
        ctx, validated = self.ctx, self.validated
        aws = ctx.aws
        name = validated.stack_name
        assert name is not None
        existing = self._existing_stack(name) if resume else None
        if existing is None:
            stack_id = self._create_stack(name)
        else:
            stack_id = existing
            self.made["stack"], self.made["stackId"] = name, stack_id
            ctx.report("stack", StepState.PROGRESS, f"stack {name} exists already ({stack_id}): following it")
        record = aws.models.get(self.model_id)
        if record.cloudformation_stack_arn != stack_id:
            ctx.intent("record.stack", stack=name, stackId=stack_id)
            aws.models.transition_status(
                self.model_id,
                ModelStatus.CREATING,
                ModelStatus.CREATING,
                {"cloudformation_stack_name": name, "cloudformation_stack_arn": stack_id},
                holder=self.ctx.holder,
            )
            ctx.done("record.stack", stack=name, stackId=stack_id)
        self._after_stack(name, stack_id)

    def _existing_stack(self, name: str) -> str | None:
        """On resume: the id of the model's stack if a create already made it (recorded, or found by name)."""
        info = self.ctx.aws.stacks.describe_or_none(name)
        if info is None or info.status == "DELETE_COMPLETE":
            return None
        return info.stack_id

    def _create_stack(self, name: str) -> str:
        from engine.stack_template import discover_network, model_stack_template

        ctx, validated = self.ctx, self.validated
        aws = ctx.aws
        request = validated.request
        ctx.check_cancelled()
        ctx.report("network", StepState.STARTED, "finding the deployment's VPC and subnets")
        network = discover_network(aws)
        ctx.report(
            "network",
            StepState.SUCCEEDED,
            f"VPC {network.vpc_id}, subnets {', '.join(network.subnet_ids)}",
            **_network_dict(network),
        )
        memory = instance_memory_mib(aws, str(request.instanceType))
        template = model_stack_template(
            request, deployment_name=validated.deployment_name, network=network, instance_memory_mib=memory
        )
        ctx.check_cancelled()
        ctx.report(
            "stack",
            StepState.STARTED,
            f"creating CloudFormation stack {name} ({len(template.get('Resources') or {})} resources)",
            stack=name,
        )
        self._models_bucket = network.models_bucket
        self.made["stack"] = name  # a call that timed out may still have made it
        ctx.intent("stack.create", stack=name)
        try:
            stack_id = aws.stacks.create_stack(
                name, template, tags={MODEL_ID_TAG: self.model_id, "lisa:deployment": validated.deployment_name}
            )
        except InvalidInput:
            del self.made["stack"]  # someone else's stack of that name: not ours to name for deletion
            raise
        ctx.done("stack.create", stack=name, stackId=stack_id)
        ctx.note_change(f"CloudFormation stack {name} created")
        self.made["stackId"] = stack_id
        ctx.report(
            "stack", StepState.PROGRESS, f"stack {name} is being created: {stack_id}", stack=name, stackId=stack_id
        )
        return stack_id

    def _after_stack(self, name: str, stack_id: str) -> None:
        ctx, aws = self.ctx, self.ctx.aws
        info = self._wait_for_stack(name, stack_id)
        endpoint = str(info.outputs.get(ENDPOINT_OUTPUT) or "").rstrip("/")
        group = str(info.outputs.get(GROUP_OUTPUT) or "")
        if not endpoint or not group:
            missing = ENDPOINT_OUTPUT if not endpoint else GROUP_OUTPUT
            raise LisaDesktopError(f"stack {name} is CREATE_COMPLETE but lacks the output {missing}")
        self.made["group"] = group
        self.made["endpoint"] = endpoint
        attributes: dict[str, Any] = {"model_url": f"{endpoint}/v1", "auto_scaling_group": group}
        ctx.intent("record.outputs", **attributes)
        aws.models.transition_status(
            self.model_id, ModelStatus.CREATING, ModelStatus.CREATING, attributes, holder=self.ctx.holder
        )
        ctx.done("record.outputs")
        ctx.report(
            "stack",
            StepState.SUCCEEDED,
            f"stack {name} created: Auto Scaling group {group}, endpoint {endpoint}",
            stack=name,
            stackId=stack_id,
            group=group,
            endpoint=endpoint,
        )
        ctx.report("capacity", StepState.STARTED, f"waiting for healthy instances in {group}", group=group)
        scaled = wait_for_capacity(ctx, group)
        ctx.report(
            "capacity",
            StepState.SUCCEEDED,
            f"Auto Scaling group {group} is {sizes(scaled)}: {progress_message(scaled)}",
            group=group,
        )

    def _wait_for_stack(self, name: str, stack_id: str) -> StackInfo:
        """PollCreateStack with backoff and a deadline (settings.ecs_deadline_s) instead of 30 × 60 s."""
        ctx = self.ctx
        seen: dict[str, Any] = {"status": None, "moved": False}

        def check() -> StackInfo | None:
            info = ctx.aws.stacks.describe(stack_id)
            if info.status != seen["status"]:
                seen["status"] = info.status
                seen["moved"] = True
                ctx.report("stack", StepState.PROGRESS, f"stack {name}: {info.status}", stack=name, status=info.status)
            if info.status == "CREATE_COMPLETE":
                return info
            if info.status in ("CREATE_IN_PROGRESS", "REVIEW_IN_PROGRESS"):
                return None
            raise StackFailed(name, info.status, info.status_reason, ctx.aws.stacks.failure_reasons(stack_id))

        def progressed() -> bool:
            moved = bool(seen["moved"])
            seen["moved"] = False
            return moved

        return poll_until(
            ctx, check, deadline_s=ctx.settings.ecs_deadline_s, what=f"creation of stack {name}", progressed=progressed
        )

    def _context_window(self, litellm_id: str) -> int | None:
        """LISA's EnrichContextWindow, after the registration: a hosted model's VLLM_MAX_MODEL_LEN (else
        MAX_TOTAL_TOKENS), else `max_position_embeddings` of its config.json in the models bucket; any other
        model's `max_input_tokens` in LiteLLM's model info. Non-fatal as LISA's: what cannot be read leaves the
        record without `context_window` (LISA retries LiteLLM for 30 s; the console reads it once, right after its
        own registration)."""
        config = self.validated.model_config
        if self.validated.is_hosted:
            told, value = context_window_told(config)
            if told:
                if value is None:
                    self._context_window_note("VLLM_MAX_MODEL_LEN (or MAX_TOTAL_TOKENS) is not an integer")
                return value
            return self._from_models_bucket(str(config.get("modelName") or ""), str(config.get("modelType") or ""))
        try:
            found = max_input_tokens(self.ctx.aws.litellm.list_models(), litellm_id)
        except LisaDesktopError as error:
            self._context_window_note(f"LiteLLM's model info could not be read: {error}")
            return None
        if found is None:
            self._context_window_note(f"LiteLLM's model info of {litellm_id} has no max_input_tokens")
        return found

    def _from_models_bucket(self, model_name: str, model_type: str) -> int | None:
        bucket = self._models_bucket
        if bucket is None:  # a resumed create: the network was not discovered
            from engine.stack_template import discover_network

            try:
                bucket = discover_network(self.ctx.aws).models_bucket
            except LisaDesktopError as error:
                self._context_window_note(f"the models bucket is not known: {error}")
                return None
        if not bucket:
            self._context_window_note("the deployment's models bucket is not known")
            return None
        s3 = self.ctx.aws.clients.s3()
        for key in config_json_keys(model_name, model_type):
            try:
                found = max_position_embeddings(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            except Exception as error:  # as LISA's: a missing key, bucket or unreadable JSON → the next path
                log.info("context window of %s: s3://%s/%s not read: %s", self.model_id, bucket, key, error)
                continue
            if found is not None:
                return found
        self._context_window_note(f"no max_position_embeddings in s3://{bucket}/{model_name}/config.json")
        return None

    def _context_window_note(self, why: str) -> None:
        self.ctx.report("finalize", StepState.PROGRESS, f"no context window recorded: {why}")

    def _finalize(self, litellm_id: str, context_window: int | None = None) -> JobResult:
        self.ctx.report("finalize", StepState.STARTED, "writing the record, status InService")
        self.ctx.intent("finalize", status=str(ModelStatus.IN_SERVICE), litellm_id=litellm_id)
        attributes: dict[str, Any] = {"litellm_id": litellm_id}
        if context_window is not None:
            attributes["context_window"] = context_window
        self.ctx.aws.models.transition_status(
            self.model_id,
            ModelStatus.CREATING,
            ModelStatus.IN_SERVICE,
            attributes,
            remove_attributes=HOLD_ATTRIBUTES,
            holder=self.ctx.holder,
        )
        made = self._made_text()
        self._finished = self._result(Outcome.SUCCEEDED, f"created {self.model_id}: {made}", ModelStatus.IN_SERVICE)
        self.ctx.done("finalize", status=str(ModelStatus.IN_SERVICE))
        self.ctx.report("finalize", StepState.SUCCEEDED, f"{self.model_id} is InService ({made})", **self.made)
        return self._finished

    # -- failure ----------------------------------------------------------------------------------------------

    def _undo_guardrails(self) -> None:
        """The guardrails this create made are removed (best effort, as LISA's clean-up: what cannot be removed
        is said in the job's events; `models delete` removes it with the model)."""
        if not self._guardrails.touched:
            return
        try:
            undone = self._guardrails.undo()
            self.ctx.report("guardrail", StepState.ROLLED_BACK, "; ".join(undone))
        except Exception as error:
            log.warning("the guardrails of %s could not all be removed", self.model_id, exc_info=error)
            self.ctx.report("guardrail", StepState.FAILED, f"the guardrails made could not all be removed: {error}")

    def _made_text(self) -> str:
        parts = []
        if "stack" in self.made:
            stack_id = self.made.get("stackId")
            parts.append(f"CloudFormation stack {self.made['stack']}" + (f" ({stack_id})" if stack_id else ""))
        if "group" in self.made:
            parts.append(f"Auto Scaling group {self.made['group']}")
        if "litellmId" in self.made:
            parts.append(f"LiteLLM entry {self.made['litellmId']}")
        parts.extend(f"{guardrail} and its row" for guardrail in self._guardrails.made)
        parts.append(f"record {self.model_id} in table {self.ctx.aws.models.table_name}")
        return ", ".join(parts)

    def _fail(self, reason: str, outcome: Outcome = Outcome.FAILED) -> JobResult:
        """HandleFailure: the model is Failed with the reason and what was left behind; nothing is deleted."""
        running = f"; the instances of {self.made['group']} keep running until then" if "group" in self.made else ""
        message = (
            f"create of {self.model_id} failed: {reason}; left behind: {self._made_text()} "
            f"(remove them with: lisa-desktop models delete {self.model_id}{running})"
        )
        attributes: dict[str, Any] = {"failure_reason": cut_reason(message)}
        if "stack" in self.made:
            attributes["cloudformation_stack_name"] = self.made["stack"]
        if "stackId" in self.made:
            attributes["cloudformation_stack_arn"] = self.made["stackId"]
        if "group" in self.made:
            attributes["auto_scaling_group"] = self.made["group"]
        if "litellmId" in self.made:
            attributes["litellm_id"] = self.made["litellmId"]
        try:
            self.ctx.intent("fail.record", status=str(ModelStatus.FAILED))
            self.ctx.aws.models.transition_status(
                self.model_id,
                ModelStatus.CREATING,
                ModelStatus.FAILED,
                attributes,
                remove_attributes=HOLD_ATTRIBUTES,
                holder=self.ctx.holder,
            )
            self.ctx.done("fail.record", status=str(ModelStatus.FAILED))
        except LisaDesktopError as error:
            message = f"{message}; and the record could not be marked Failed: {error}"
        self.ctx.report("job", StepState.FAILED, message, **self.made)
        return self._result(outcome, message, ModelStatus.FAILED)

    def _result(self, outcome: Outcome, message: str, status: ModelStatus | None) -> JobResult:
        return JobResult(self.ctx.job_id, self.model_id, CREATE, outcome, message, status)
