"""The default model through LISA's configuration API: what is read and sent, as LISA's UI does, and what is
refused or told (on an API answering as LISA's configuration Lambdas do, played here without a network)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from engine.aws.configuration_table import ConfigurationChanged
from engine.errors import InvalidInput, StatusNotAllowed
from engine.lisa_api.client import LisaApi
from engine.lisa_api.configuration import NO_CONFIGURATION_API, default_model, set_default_model
from engine.lisa_api.errors import NO_ROUTE_CODE, LisaApiRefused, error_for
from engine.schema.enums import ModelStatus

VERSION_1 = {
    "configScope": "global",
    "versionId": 1.0,
    "changedBy": "admin",
    "changeReason": "Set default model to: old",
    "created_at": "1735693200.5",
    "configuration": {
        "enabledComponents": {"showMcpWorkbench": False},
        "maxProjectsPerUser": 50.0,
        "global": {"defaultModel": "old"},
    },
}
VERSION_0 = {"configScope": "global", "versionId": 0.0, "configuration": {"maxProjectsPerUser": 50.0}}


def model(model_id: str, status: str = "InService", model_type: str = "textgen") -> dict[str, Any]:
    return {
        "modelId": model_id,
        "modelName": "bedrock/x",
        "modelType": model_type,
        "status": status,
        "streaming": True,
        "features": [],
    }


class FakeApi(LisaApi):
    """LISA's API as its handlers answer: models by id, the configuration versions (`put` replaces the stored
    version of the same versionId and may be given a `meanwhile` run right after it)."""

    def __init__(self, models: dict[str, dict[str, Any]], versions: list[dict[str, Any]]) -> None:
        super().__init__("https://api.example/prod", "token")
        self.models = models
        self.versions = versions
        self.sent: list[tuple[str, str, Any]] = []
        self.meanwhile: Callable[[], None] | None = None
        self.routes = True

    def _call(self, method: str, path: str, *, body: Any = None, model_id: str | None = None) -> Any:
        self.sent.append((method, path, copy.deepcopy(body)))
        what = f"{method} {path}"
        if path.startswith("/models/"):
            found = self.models.get(path.removeprefix("/models/"))
            if found is None:
                raise error_for(404, {"detail": f"Model '{model_id}' was not found."}, what=what, model_id=model_id)
            return {"model": found}
        if not self.routes:
            raise error_for(403, {"message": "Missing Authentication Token"}, what=what, model_id=None)
        if method == "GET":
            return sorted(json.loads(json.dumps(self.versions)), key=lambda v: v["versionId"], reverse=True)
        stored = {**json.loads(json.dumps(body)), "created_at": "1800000000.25"}
        self.versions = [v for v in self.versions if v["versionId"] != body["versionId"]] + [stored]
        if self.meanwhile is not None:
            self.meanwhile()
        return {"status": "ok"}


def test_the_item_sent_is_lisas_uis_with_whole_numbers_as_integers() -> None:
    api = FakeApi({"new": model("new")}, [VERSION_0, VERSION_1])
    assert default_model(api) == "old"
    result = set_default_model(api, "new", changed_by="me (lisa-desktop)")
    assert (result.model_id, result.previous, result.written) == ("new", "old", True)
    puts = [(path, body) for method, path, body in api.sent if method == "PUT"]
    assert puts == [
        (
            "/configuration/global",
            {
                "configuration": {
                    "enabledComponents": {"showMcpWorkbench": False},
                    "maxProjectsPerUser": 50,
                    "global": {"defaultModel": "new"},
                },
                "configScope": "global",
                "versionId": 2,
                "changeReason": "Set default model to: new",
                "changedBy": "me (lisa-desktop)",
            },
        )
    ]
    assert [(method, path) for method, path, _ in api.sent[-3:]] == [
        ("GET", "/configuration?configScope=global"),
        ("PUT", "/configuration/global"),
        ("GET", "/configuration?configScope=global"),  # read back
    ]
    assert default_model(api) == "new"


def test_the_default_already_writes_nothing() -> None:
    api = FakeApi({"old": model("old")}, [VERSION_1])
    result = set_default_model(api, "old", changed_by="me")
    assert (result.written, result.previous) == (False, "old")
    assert all(method == "GET" for method, _, _ in api.sent)


def test_a_first_version_when_there_is_none() -> None:
    api = FakeApi({"new": model("new")}, [])
    assert default_model(api) is None
    result = set_default_model(api, "new", changed_by="me")
    assert result.item["versionId"] == 0 and result.previous is None
    assert result.item["configuration"] == {"global": {"defaultModel": "new"}}


@pytest.mark.parametrize(
    ("entry", "error", "says"),
    [
        (model("emb", model_type="embedding"), InvalidInput, "only a textgen model can be the default"),
        (model("stopped", status=ModelStatus.STOPPED.value), StatusNotAllowed, "only an InService model"),
    ],
)
def test_a_model_that_cannot_be_the_default_is_refused_before_anything_is_read_or_sent(
    entry: dict[str, Any], error: type[Exception], says: str
) -> None:
    api = FakeApi({entry["modelId"]: entry}, [VERSION_1])
    with pytest.raises(error, match=says):
        set_default_model(api, entry["modelId"], changed_by="me")
    assert [path for _, path, _ in api.sent] == [f"/models/{entry['modelId']}"]


def test_a_version_replaced_by_someone_else_meanwhile_is_told() -> None:
    api = FakeApi({"new": model("new")}, [VERSION_1])

    def other_admin() -> None:
        api.versions = [v for v in api.versions if v["versionId"] != 2] + [
            {**VERSION_1, "versionId": 2, "configuration": {"global": {"defaultModel": "theirs"}}}
        ]

    api.meanwhile = other_admin
    with pytest.raises(ConfigurationChanged, match="version 2 was written by someone else"):
        set_default_model(api, "new", changed_by="me")


def test_an_api_without_configuration_routes_says_why_and_what_to_do() -> None:
    api = FakeApi({"new": model("new")}, [VERSION_1])
    api.routes = False
    with pytest.raises(LisaApiRefused) as raised:
        set_default_model(api, "new", changed_by="me")
    assert raised.value.code == NO_CONFIGURATION_API
    assert "serves no configuration routes" in str(raised.value)
    assert "set the default model in LISA's UI" in raised.value.advice
    assert not [method for method, _, _ in api.sent if method == "PUT"]


def test_the_configuration_lambdas_string_errors_and_api_gateways_missing_route() -> None:
    admin_only = error_for(
        403, "Only admins can update global configuration", what="PUT /configuration/global", model_id=None
    )
    assert isinstance(admin_only, LisaApiRefused) and admin_only.code == "NotAdministrator"
    assert "Only admins can update global configuration" in str(admin_only)
    bad = error_for(400, "Invalid JSON in request body.", what="PUT /configuration/global", model_id=None)
    assert isinstance(bad, InvalidInput) and "Invalid JSON in request body." in str(bad)
    missing = error_for(403, {"message": "Missing Authentication Token"}, what="GET /configuration", model_id=None)
    assert isinstance(missing, LisaApiRefused) and missing.code == NO_ROUTE_CODE
    assert "has no route GET /configuration" in str(missing)
