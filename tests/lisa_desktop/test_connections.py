from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import InvalidInput
from lisa_desktop.connections import ConnectionStore, config_dir, new_connection


def profile_connection(name: str = "prod") -> object:
    return new_connection(
        name=name, auth="profile", profile="lisa-admin", region="eu-west-1", deployment_prefix="/prod/lisa"
    )


def test_store_lives_in_the_config_dir_and_holds_no_secret(isolated_config_dir: Path) -> None:
    store = ConnectionStore()
    assert store.path.parent == config_dir() == isolated_config_dir
    store.add(
        new_connection(
            name="keys",
            auth="access-key",
            access_key_id="AKIAEXAMPLE",
            region="us-east-1",
            deployment_prefix="/dev/lisa",
        )
    )
    text = store.path.read_text()
    assert "AKIAEXAMPLE" in text
    assert "secret" not in text.lower()
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    assert json.loads(text)["connections"][0]["name"] == "keys"


def test_add_get_remove_and_default() -> None:
    store = ConnectionStore()
    store.add(profile_connection("prod"))  # type: ignore[arg-type]
    assert store.default_name() == "prod"
    store.add(profile_connection("dev"))  # type: ignore[arg-type]
    assert store.default_name() is None
    assert [c.name for c in store.all()] == ["prod", "dev"]
    with pytest.raises(InvalidInput, match="already exists"):
        store.add(profile_connection("dev"))  # type: ignore[arg-type]
    assert store.remove("dev") is not None
    assert store.get("dev") is None
    assert store.remove("dev") is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "bad name"}, "name"),
        ({"deployment_prefix": "prod/lisa"}, "deployment_prefix"),
        ({"endpoint_url": "127.0.0.1:4566"}, "endpoint_url"),
        ({"profile": None}, "connection"),
        ({"region": ""}, "region"),
    ],
)
def test_bad_connections_name_the_field(fields: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "name": "prod",
        "auth": "profile",
        "profile": "p",
        "region": "eu-west-1",
        "deployment_prefix": "/prod/lisa",
    }
    base.update(fields)
    with pytest.raises(InvalidInput) as caught:
        new_connection(**base)
    assert [p.field for p in caught.value.problems] == [field]
