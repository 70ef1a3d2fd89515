"""`drafts list | show ID | submit ID`: the offline drafts the window keeps, seen and submitted from scripts.

`list` and `show` read the drafts file only (no credentials, no network). `submit` checks the draft offline,
then, for an update, compares the model now with the model the draft was based on: if the model changed, the
three-way comparison is printed and nothing is submitted (exit 3) unless `--rebase` puts the draft's own edits
onto the model as it is now. The job then runs exactly as `models create FILE` / `models update ID FILE` run it.

A submitted draft is kept, marked with the job that applied it, rather than deleted: the job may be followed
from another process, the same change may be wanted on another deployment, and a draft is cheap to delete.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Any, TextIO

from engine.aws.guardrails import GuardrailsTable, with_guardrails
from engine.drafts.conflict import Comparison, compare, rebase
from engine.drafts.store import Draft, DraftKind, DraftStore
from engine.errors import DraftConflict, InvalidInput
from engine.jobs.context import Gateways
from engine.jobs.create_job import validate_create
from engine.jobs.runner import JobHandle, JobRunner, Listener
from engine.jobs.validation import validate_update
from engine.schema.validate import parse_create, parse_update
from engine.secrets import MASK, masked
from lisa_desktop.cli.changes import Submit, _detach, _job_options, follow_job, job_settings
from lisa_desktop.exit_codes import ExitCode
from lisa_desktop.target import Target, open_target

ID_WIDTH = 8
VALUE_WIDTH = 40


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    drafts = commands.add_parser("drafts", help="offline drafts of create/update configurations (kept by the window)")
    actions = drafts.add_subparsers(dest="draft_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[parent], help="every draft, newest first (offline)")
    listing.add_argument("--json", action="store_true", help="the drafts as a JSON list")
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", parents=[parent], help="a draft's request and its problems (offline)")
    show.add_argument("draft_id", metavar="ID", help="the draft's id, or at least 4 of its first characters")
    show.add_argument("--json", action="store_true")
    show.add_argument("--show-secrets", action="store_true", help=f"print the API key in clear (else {MASK})")
    show.set_defaults(handler=run_show)

    submit = actions.add_parser(
        "submit",
        parents=[parent],
        help="submit a draft: create the model, or update it if it has not changed since",
        description="Check the draft, then run it as 'models create' / 'models update' do. An update draft is "
        "refused (exit 3, with a field-by-field comparison) when the model changed since the draft was started; "
        "--rebase puts the draft's edits onto the model as it is now (the draft's value wins where both "
        "changed a field) and submits that. Without --wait the job goes on in a background process.",
    )
    submit.add_argument("draft_id", metavar="ID", help="the draft's id, or at least 4 of its first characters")
    submit.add_argument("--ack-restart", action="store_true", help="acknowledge a container restart (an outage)")
    submit.add_argument("--rebase", action="store_true", help="rebase an update draft onto the model as it is now")
    _job_options(submit)
    submit.set_defaults(handler=run_submit, model_command=None)


# -- list / show (offline) -------------------------------------------------------------------------------------


def _when(epoch: float | None) -> str:
    return "-" if epoch is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _summary(draft: Draft) -> dict[str, Any]:
    problems = draft.problems()
    return {
        "draftId": draft.draft_id,
        "kind": draft.kind.value,
        "title": draft.title,
        "modelId": draft.model_id,
        "deployment": draft.deployment,
        "createdAt": draft.created_at,
        "updatedAt": draft.updated_at,
        "submittedAt": draft.submitted_at,
        "submittedJob": draft.submitted_job,
        "valid": not problems,
        "problems": [{"field": p.field, "rule": p.rule} for p in problems],
    }


def run_list(args: argparse.Namespace, out: TextIO) -> int:
    store = DraftStore()
    summaries = [_summary(draft) for draft in store.list()]
    if args.json:
        json.dump(summaries, out, indent=2)
        out.write("\n")
        return ExitCode.OK
    header = ("ID", "KIND", "MODEL", "UPDATED", "STATE")
    rows = [header] + [
        (
            s["draftId"][:ID_WIDTH],
            s["kind"],
            s["modelId"] or "-",
            _when(s["updatedAt"]),
            ("valid" if s["valid"] else f"invalid ({len(s['problems'])})")
            + (f", submitted ({s['submittedJob']})" if s["submittedJob"] else ""),
        )
        for s in summaries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"{len(summaries)} draft{'s' if len(summaries) != 1 else ''} ({store.path})\n")
    return ExitCode.OK


def run_show(args: argparse.Namespace, out: TextIO) -> int:
    draft = DraftStore().get(args.draft_id)
    summary = _summary(draft)
    request = draft.request() if args.show_secrets else masked(draft.request())
    config = draft.config if args.show_secrets else masked(draft.config)
    if args.json:
        json.dump(summary | {"request": request, "config": config, "base": draft.base}, out, indent=2)
        out.write("\n")
        return ExitCode.OK
    out.write(f"{draft.title}  (draft {draft.draft_id}, {draft.kind})\n")
    out.write(f"deployment: {draft.deployment or '-'}; created {_when(draft.created_at)}, ")
    out.write(f"updated {_when(draft.updated_at)}\n")
    if draft.submitted_job:
        out.write(f"submitted {_when(draft.submitted_at)} as job {draft.submitted_job}\n")
    kind = "CreateModelRequest" if draft.kind is DraftKind.CREATE else f"UpdateModelRequest for {draft.model_id}"
    out.write(f"request it would submit ({kind}):\n{json.dumps(request, indent=2)}\n")
    problems = summary["problems"]
    if not problems:
        out.write("valid (offline checks; the model's status and live capacity are checked at submission)\n")
        return ExitCode.OK
    for problem in problems:
        out.write(f"{problem['field']}: {problem['rule']}\n")
    out.write(f"invalid: {len(problems)} problem{'s' if len(problems) != 1 else ''}; it cannot be submitted yet\n")
    return ExitCode.OK


# -- submit ----------------------------------------------------------------------------------------------------


def _check_offline(draft: Draft) -> None:
    problems = draft.problems()
    if problems:
        raise InvalidInput(problems, f"draft {draft.draft_id[:ID_WIDTH]} ({draft.title})")


def run_submit(args: argparse.Namespace, out: TextIO) -> int:
    store = DraftStore()
    draft = store.get(args.draft_id)
    _check_offline(draft)
    args.model_id = draft.model_id
    with open_target(args) as target:
        if draft.deployment and draft.deployment != target.label and not _is_child(args):
            print(f"note: the draft was started on {draft.deployment}; submitting to {target.label}", file=sys.stderr)
        if draft.kind is DraftKind.CREATE:
            submit = _create_submit(args, target, draft)
        else:
            prepared = _update_submit(args, out, store, target, draft)
            if isinstance(prepared, int):
                return prepared
            draft, submit = prepared
        if not args.wait and not _is_child(args) and not target.sandbox:
            return _detach(args, out)
        handles: list[JobHandle] = []

        def submit_and_keep(runner: JobRunner, listeners: tuple[Listener, ...]) -> JobHandle:
            handles.append(submit(runner, listeners))
            return handles[-1]

        code = follow_job(args, out, submit_and_keep, target)
    if code == ExitCode.OK and handles:
        store.mark_submitted(draft.draft_id, handles[0].job_id)
    return code


def _is_child(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "background_child", False))


def _create_submit(args: argparse.Namespace, target: Target, draft: Draft) -> Submit:
    aws = Gateways.for_deployment(target.clients, target.deployment())
    request = parse_create(draft.request())
    validate_create(aws, request)
    settings = job_settings(args, target)
    return lambda runner, listeners: runner.submit_create(aws, request, settings=settings, listeners=listeners)


def _update_submit(
    args: argparse.Namespace, out: TextIO, store: DraftStore, target: Target, draft: Draft
) -> tuple[Draft, Submit] | int:
    """Compare, rebase if asked, validate; the submit function, or the exit code when the model changed."""
    aws = Gateways.for_deployment(target.clients, target.deployment())
    model_id = str(draft.model_id)
    now = masked(aws.models.get(model_id).to_api())  # as the window's rows give the base: no key to differ
    if "guardrailsConfig" in (draft.base or {}):  # a base as `models show --json` gives it, guardrails attached
        guardrails = GuardrailsTable(aws.clients, aws.deployment.guardrails_table_name).of_model(model_id)
        now = with_guardrails(now, guardrails)
    comparison = compare(draft.base or {}, now, draft.config)
    if comparison.model_changed:
        if not args.rebase:
            return _refuse(args, out, draft, comparison)
        draft = store.save(dataclasses.replace(draft, config=rebase(draft.base or {}, now, draft.config), base=now))
        if not args.json:
            out.write(f"draft {draft.draft_id[:ID_WIDTH]} rebased onto {model_id} as it is now\n")
        _check_offline(draft)
    change = parse_update(draft.request())
    ack = bool(args.ack_restart)
    validate_update(aws, model_id, change, ack_restart=ack)
    settings = job_settings(args, target)
    warmup_cap = target.model_warmup_cap_s()

    def submit(runner: JobRunner, listeners: tuple[Listener, ...]) -> JobHandle:
        return runner.submit_update(
            aws,
            model_id,
            change,
            ack_restart=ack,
            settings=settings,
            listeners=listeners,
            model_warmup_cap_s=warmup_cap,
        )

    return draft, submit


def _refuse(args: argparse.Namespace, out: TextIO, draft: Draft, comparison: Comparison) -> int:
    error = DraftConflict(str(draft.model_id), [state.field for state in comparison.fields if state.changed_underneath])
    if args.json:
        fields = [dataclasses.asdict(state) | {"conflict": state.conflict} for state in comparison.fields]
        result = {
            "error": str(error),
            "exitCode": int(ExitCode.STATUS_NOT_ALLOWED),
            "baseStatus": comparison.base_status,
            "nowStatus": comparison.now_status,
            "fields": fields,
        }
        json.dump(result, out, indent=2)
        out.write("\n")
        return ExitCode.STATUS_NOT_ALLOWED
    print_comparison(out, draft, comparison)
    raise error


def _shown(value: Any) -> str:
    text = "(unset)" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def print_comparison(out: TextIO, draft: Draft, comparison: Comparison) -> None:
    status = ""
    if comparison.base_status != comparison.now_status:
        status = f" (status {comparison.base_status} → {comparison.now_status})"
    out.write(f"The model {draft.model_id} changed since draft {draft.draft_id[:ID_WIDTH]} was started{status}:\n")
    rows = [("", "FIELD", "BASE", "NOW", "DRAFT")] + [
        ("!" if s.conflict else "", s.field, _shown(s.base), _shown(s.now), _shown(s.draft)) for s in comparison.fields
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
    if comparison.conflicts:
        out.write("! both the model and the draft changed this field; --rebase keeps the draft's value\n")
    out.write(
        f"Nothing was submitted. To put the draft's edits onto the model as it is now and submit: "
        f"lisa-desktop drafts submit {draft.draft_id[:ID_WIDTH]} --rebase\n"
    )
