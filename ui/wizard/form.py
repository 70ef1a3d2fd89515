"""The wizard's state without widgets: the configuration being edited, what may be edited, and what is wrong.

Create mode edits a new CreateModelRequest; update mode edits the model's current configuration, and the
update request is what differs from it (engine.config_edit). Every rule comes from the engine's schema,
capability table and plan(); this module only says which field a problem belongs to.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.aws.guardrails import Guardrail, with_guardrails
from engine.config_edit import same, update_request_from
from engine.context_window import CONTEXT_WINDOW_ATTRIBUTE, CONTEXT_WINDOW_VARIABLES, context_window_change
from engine.drafts.conflict import Side, rebase
from engine.errors import InvalidInput, Problem
from engine.guardrail_changes import guardrail_problems
from engine.model_settings import parse_context_window
from engine.plan import Plan, plan
from engine.schema.enums import FeatureName, ModelHostingType, ModelStatus
from engine.schema.record import ModelRecord, hosting_type_of
from engine.schema.requests import HOSTED_FIELDS
from engine.schema.stored import stored_config
from engine.schema.validate import parse_create, parse_update
from ui.wizard import features
from ui.wizard.config_paths import get_path, set_path
from ui.wizard.field_names import label_of
from ui.wizard.schedule_form import given_schedule, schedule_changed
from ui.wizard.specs import ALL_FIELDS, BY_PATH, CONTEXT_WINDOW, FieldSpec, hosted_defaults

SUMMARIZATION = f"features[{FeatureName.SUMMARIZATION}]"
SUMMARIZATION_OVERVIEW = f"{SUMMARIZATION}.overview"
HOSTED_REQUIRED = "is required for a LISA-hosted model"
THIRD_PARTY_ONLY = ("modelUrl", "apiKey")
CREATE_ONLY = "set when the model is created; an update cannot change it (create a new model instead)"
GUARDRAILS = "guardrailsConfig"
GUARDRAILS_UNREAD = (
    "Guardrails: the model's guardrails could not be read yet, so the change cannot be compared with them; "
    "reopen the wizard when the deployment answers"
)
_FLATTENED_HEALTH_CHECK = {
    "healthCheckCommand": "command",
    "healthCheckInterval": "interval",
    "healthCheckStartPeriod": "startPeriod",
    "healthCheckTimeout": "timeout",
    "healthCheckRetries": "retries",
}


class Mode(StrEnum):
    CREATE = "create"
    UPDATE = "update"


@dataclass
class Validation:
    by_field: dict[str, list[str]] = field(default_factory=dict)
    """Config path of a wizard field → the rules it breaks, in words."""
    general: list[str] = field(default_factory=list)
    """Problems that belong to no single field (shown on the review page)."""
    request: dict[str, Any] | None = None
    """What Submit would send, in LISA's API shape (None when nothing can be sent)."""
    plan: Plan | None = None
    """Update mode: the engine's plan of the request (diff, steps, restart, violations)."""
    notes: dict[str, str] = field(default_factory=dict)
    """Config path → what will happen to the field though nobody typed it (a desired capacity pulled inside
    new bounds)."""
    schedule_changed: bool = False
    """Update mode: the schedule differs from the model's (submitted as a schedule job, as LISA's UI calls the
    schedule route)."""
    schedule: dict[str, Any] | None = None
    """The schedule the form holds (LISA's SchedulingConfig as given; None: no schedule)."""
    context_window: int | None = None
    """Update mode: the context window to write, on its own and before any job, as LISA's context-window route
    writes it (None: left as it is)."""

    @property
    def ok(self) -> bool:
        return not self.by_field and not self.general and self.request is not None

    def problems_on(self, specs: Iterable[FieldSpec]) -> list[str]:
        return [f"{spec.label}: {rule}" for spec in specs for rule in self.by_field.get(spec.path, ())]


class WizardForm:
    def __init__(self, mode: Mode, config: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> None:
        if mode is Mode.UPDATE and base is None:
            raise ValueError("an update needs the model's current configuration (base)")
        self.mode = mode
        self.base: dict[str, Any] | None = copy.deepcopy(dict(base)) if base is not None else None
        self.config: dict[str, Any] = copy.deepcopy(dict(config))
        self.guardrails: list[Guardrail] | None = [] if mode is Mode.CREATE else None
        """The model's guardrails as its guardrails table holds them, what the update's `guardrailsConfig` is
        compared with; None until they are read (off the GUI thread, when the update wizard opens)."""
        if mode is Mode.CREATE:
            self.config.setdefault("hostingType", ModelHostingType.THIRD_PARTY.value)
            self.config.setdefault("modelType", "textgen")
            self.config.setdefault("streaming", True)
            if not features.streams(self.config.get("modelType")):
                self.config["streaming"] = False
            if self.hosting is ModelHostingType.LISA_HOSTED:
                _fill_missing(self.config, hosted_defaults())
        elif CONTEXT_WINDOW not in self.config:
            self._show_current_context_window()

    # -- what the form is about ----------------------------------------------------------------------------

    @property
    def base_config(self) -> dict[str, Any]:
        return stored_config(self.base or {})

    @property
    def hosting(self) -> ModelHostingType:
        if self.mode is Mode.UPDATE:
            return hosting_type_of(self.base_config)
        try:
            return ModelHostingType(self.config.get("hostingType") or ModelHostingType.THIRD_PARTY)
        except ValueError:
            return ModelHostingType.THIRD_PARTY

    @property
    def model_id(self) -> str:
        source = self.base if self.mode is Mode.UPDATE and self.base else self.config
        return str(source.get("modelId") or "")

    @property
    def status(self) -> str | None:
        return str(self.base["status"]) if self.base and self.base.get("status") else None

    def set_existing_guardrails(self, guardrails: list[Guardrail]) -> None:
        """The model's guardrails, as read: the plan compares with them; the base (and the edit, unless a draft
        already holds its own) gets them in LISA's GET /models shape, as `current_model` reads the model."""
        self.guardrails = list(guardrails)
        if self.base is not None and "guardrailsConfig" not in self.base:
            self.base = with_guardrails(self.base, guardrails)
            if "guardrailsConfig" in self.base and "guardrailsConfig" not in self.config:
                self.config["guardrailsConfig"] = copy.deepcopy(self.base["guardrailsConfig"])

    def value(self, path: str) -> Any:
        return get_path(self.config, path)

    def set_value(self, path: str, value: Any) -> bool:
        """Set a field; True when the configuration changed."""
        if get_path(self.config, path) == value:
            return False
        set_path(self.config, path, value)
        if path == "hostingType" and value == ModelHostingType.LISA_HOSTED.value:
            _fill_missing(self.config, hosted_defaults())
        if path == "modelType" and self.mode is Mode.CREATE:
            # As LISA's form: choosing a type sets streaming, on for textgen and off for the types that cannot stream.
            if not features.streams(value):
                self.config["streaming"] = False
            elif value == features.STREAMING_DEFAULT_TYPE:
                self.config["streaming"] = True
        return True

    def shown_value(self, spec: FieldSpec) -> Any:
        """What the field's editor shows: its value, but a feature LISA does not offer the model's type is off (it
        is not sent; the form keeps it should the type become textgen again)."""
        if spec.path.startswith("features[") and not features.offered(self.value("modelType")):
            return False
        return self.value(spec.path)

    def shows(self, spec: FieldSpec) -> bool:
        """Whether the field is on screen. An update shows the hosted fields of any model (read-only, with the
        reason, for a model that cannot change them); a create shows what its hosting type uses."""
        if spec.separate_write:
            return self.mode is Mode.UPDATE
        if self.mode is Mode.UPDATE:
            return not spec.third_party_only or self.hosting is not ModelHostingType.LISA_HOSTED
        return spec.applies_to(self.hosting)

    def lock_reason(self, spec: FieldSpec) -> str | None:
        """None when the field may be edited now; else why not."""
        if self.mode is Mode.UPDATE and not spec.separate_write:
            capability = spec.capability
            reason = CREATE_ONLY if capability is None else capability.refusal_for(self.hosting)
            if reason:
                return reason
        if spec.path == "streaming" and not features.streams(self.value("modelType")):
            return features.NO_STREAMING.format(model_type=self.value("modelType"))
        if spec.path.startswith("features[") and not features.offered(self.value("modelType")):
            return features.NOT_OFFERED
        if spec.path == SUMMARIZATION_OVERVIEW and not self.value(SUMMARIZATION):
            return "turn on Summarization to describe what the model summarizes"
        return None

    # -- what Submit would send, and what is wrong with it ---------------------------------------------------

    def create_request(self) -> dict[str, Any]:
        """The CreateModelRequest: the fields of the chosen hosting type, without unset or empty optional ones."""
        hosted = self.hosting is ModelHostingType.LISA_HOSTED
        request: dict[str, Any] = {}
        for key, value in self.config.items():
            if (key in HOSTED_FIELDS and not hosted) or (key in THIRD_PARTY_ONLY and hosted):
                continue
            if value is None or (value == "" and key not in ("modelId", "modelName")):
                continue
            request[key] = copy.deepcopy(value)
        if "features" in request:  # kept in the form (and the draft) should the type become textgen again
            request["features"] = features.offered_features(request["features"], request.get("modelType"))
        return request

    def update_request(self) -> dict[str, Any]:
        return update_request_from(self.base_config, self.config)

    def request(self) -> dict[str, Any]:
        return self.create_request() if self.mode is Mode.CREATE else self.update_request()

    def validate(self) -> Validation:
        result = self._validate_create() if self.mode is Mode.CREATE else self._validate_update()
        if self.value(SUMMARIZATION) and features.offered(self.value("modelType")):
            result.notes.setdefault(
                SUMMARIZATION, f"{features.OVERVIEWS[FeatureName.SUMMARIZATION]}\n⚠ {features.SUMMARIZATION_WARNING}"
            )
        return result

    def _validate_create(self) -> Validation:
        result = Validation()
        request = self.create_request()
        problems = _problems(lambda: parse_create(request))
        if not problems:  # what the create job checks before its first write: a guardrail name used twice
            problems = list(guardrail_problems(parse_create(request).guardrailsConfig, create=True))
        _place(result, problems, self)
        result.request = request if not problems else None
        return result

    def _validate_update(self) -> Validation:
        result = Validation()
        base_config = self.base_config
        request = self.update_request()
        update_problems = _problems(lambda: parse_update(request)) if request else []
        after = {key: value for key, value in self.config.items() if key != CONTEXT_WINDOW}
        if request and not update_problems:
            record = ModelRecord(
                model_id=self.model_id,
                model_status=ModelStatus(self.status or ModelStatus.IN_SERVICE),
                model_config={key: value for key, value in base_config.items() if key != GUARDRAILS},
            )
            result.plan = plan(record, parse_update(request), self.guardrails)
            # What the model will be: new bounds pull a stored desired capacity inside them, as Auto Scaling does.
            after = result.plan.new_config
            for change in result.plan.changes:
                if change.derived:
                    path = _in_config_terms(Problem(change.field, "")).field
                    result.notes[path] = (
                        f"will become {change.new}: Auto Scaling keeps the desired capacity within min..max"
                    )
        # A record an older LISA wrote may break today's create rules: only problems the edit brought count.
        known = set(_problems(lambda: parse_create(base_config)))
        _place(result, [problem for problem in _problems(lambda: parse_create(after)) if problem not in known], self)
        _place(result, [_in_config_terms(problem) for problem in update_problems], self)
        if result.plan is not None:
            _place(result, [_in_config_terms(problem) for problem in result.plan.violations], self)
        if GUARDRAILS in request and self.guardrails is None:
            result.general.append(GUARDRAILS_UNREAD)
        result.schedule_changed = schedule_changed(base_config, self.config)
        result.schedule = given_schedule(self.config)
        result.context_window = self._context_window_change(result, request, after)
        if not request and not result.schedule_changed and not self._changes_context_window(result):
            result.general.append("nothing is changed yet: edit a field to make an update")
        elif not result.by_field and not result.general and (result.plan is not None or not request):
            result.request = request
        return result

    # -- the context window, LISA's own write beside the update ----------------------------------------------

    @property
    def current_context_window(self) -> Any:
        """The model's context window as read (None: none recorded)."""
        return (self.base or {}).get(CONTEXT_WINDOW)

    def _show_current_context_window(self) -> None:
        if self.current_context_window is not None:
            self.config[CONTEXT_WINDOW] = self.current_context_window

    def typed_context_window(self) -> Any:
        """The context window as typed (stripped; None when empty: left as it is)."""
        value = self.config.get(CONTEXT_WINDOW)
        if isinstance(value, str):
            value = value.strip()
        return None if value in (None, "") else value

    def context_window_edited(self) -> bool:
        typed = self.typed_context_window()
        return (
            typed is not None
            and not same(typed, self.current_context_window)
            and typed != str(self.current_context_window)
        )

    def _changes_context_window(self, result: Validation) -> bool:
        """Whether the update writes the context window, or would but for a rule it breaks."""
        return result.context_window is not None or CONTEXT_WINDOW in result.by_field

    def context_window_written(self, tokens: int) -> None:
        """The model has this context window now (written before the rest of the change was submitted)."""
        if self.base is not None:
            self.base[CONTEXT_WINDOW] = tokens
        self.config[CONTEXT_WINDOW] = tokens

    def rebase_onto(self, now: Mapping[str, Any], choices: Mapping[str, Side] | None = None) -> None:
        """Start again from the model as it is now (`now`, as LISA's API returns it), with the edits on top (or,
        per field in `choices`, mine or theirs); a context window typed stays, else it is the model's now."""
        typed = self.config.get(CONTEXT_WINDOW) if self.context_window_edited() else None
        self.config = rebase(self.base or {}, now, self.config, choices)
        self.base = copy.deepcopy(dict(now))
        if typed is not None:
            self.config[CONTEXT_WINDOW] = typed
        else:
            self._show_current_context_window()

    def _context_window_change(
        self, result: Validation, request: Mapping[str, Any], after: Mapping[str, Any]
    ) -> int | None:
        """The context window to write, checked by LISA's rule (as the "Context window…" dialog checks it); None
        when it is left as it is or breaks a rule (filed under the field)."""
        if not self.context_window_edited():
            return None
        try:
            tokens = parse_context_window(self.typed_context_window())
        except InvalidInput as refusal:
            _place(result, refusal.problems, self)
            return None
        if tokens == self.current_context_window:
            return None
        container = request.get("containerConfig")
        environment = container.get("environment") if isinstance(container, Mapping) else None
        to_set, to_remove = context_window_change(environment, after)
        derived = to_set.get(CONTEXT_WINDOW_ATTRIBUTE)
        variables = " or ".join(CONTEXT_WINDOW_VARIABLES)
        if derived is not None and derived != tokens:
            _add(
                result,
                CONTEXT_WINDOW,
                f"this update's container environment sets it to {derived} ({variables}) when the update finishes, "
                f"replacing {tokens}: give the same value, or change the environment in an update of its own",
            )
        elif to_remove:
            _add(
                result,
                CONTEXT_WINDOW,
                f"this update removes {variables} from the container environment, and LISA then removes the context "
                f"window when the update finishes: keep the variable, or set the context window in an update of its "
                "own",
            )
        return tokens


def _fill_missing(target: dict[str, Any], defaults: Mapping[str, Any]) -> None:
    for key, value in defaults.items():
        if isinstance(value, Mapping):
            child = target.get(key)
            if not isinstance(child, dict):
                child = {}
                target[key] = child
            _fill_missing(child, value)
        elif key not in target:
            target[key] = copy.deepcopy(value)


def _problems(check: Any) -> list[Problem]:
    try:
        check()
    except InvalidInput as error:
        return list(error.problems)
    return []


def _in_config_terms(problem: Problem) -> Problem:
    """An UpdateModelRequest path (`autoScalingInstanceConfig.minCapacity`) as the configuration's path."""
    path = problem.field
    if path.startswith("autoScalingInstanceConfig"):
        path = "autoScalingConfig" + path.removeprefix("autoScalingInstanceConfig")
    for flat, nested in _FLATTENED_HEALTH_CHECK.items():
        if path.startswith(f"containerConfig.{flat}"):
            path = f"containerConfig.healthCheckConfig.{nested}" + path.removeprefix(f"containerConfig.{flat}")
    if path.startswith("containerConfig.environment"):
        path = "containerConfig.environment"
    return Problem(path, problem.rule)


def _place(result: Validation, problems: Iterable[Problem], form: WizardForm) -> None:
    """File each problem under the field it is about, and under the fields its rule names beside it (a
    minCapacity above maxCapacity is shown at both, wherever the user typed)."""
    for problem in problems:
        if problem.rule.startswith(HOSTED_REQUIRED) and form.hosting is ModelHostingType.LISA_HOSTED:
            problem = Problem(problem.field, HOSTED_REQUIRED)  # the hosting type is chosen: no need to list all five
        if problem.field.startswith(GUARDRAILS + "."):  # the Guardrails page shows each guardrail's own fields
            _add(result, problem.field, problem.rule)
            continue
        spec = _field_of(problem.field)
        if spec is None or not form.shows(spec):
            result.general.append(f"{label_of(problem.field)}: {problem.rule}" if problem.field else problem.rule)
            continue
        _add(result, spec.path, problem.rule)
        parent = spec.path.rpartition(".")[0]
        for sibling in ALL_FIELDS:
            head, _, name = sibling.path.rpartition(".")
            if sibling is not spec and head == parent and re.search(rf"\b{re.escape(name)}\b", problem.rule):
                _add(result, sibling.path, problem.rule)


def _add(result: Validation, path: str, rule: str) -> None:
    rules = result.by_field.setdefault(path, [])
    if rule not in rules:
        rules.append(rule)


def _field_of(path: str) -> FieldSpec | None:
    """The wizard field a problem's path points into (the longest field path that prefixes it)."""
    if path in BY_PATH:
        return BY_PATH[path]
    candidates = [spec for spec in ALL_FIELDS if path.startswith(spec.path + ".") or path.startswith(spec.path + "[")]
    return max(candidates, key=lambda spec: len(spec.path)) if candidates else None
