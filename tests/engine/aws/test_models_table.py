from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber

from engine.aws.clients import AwsClients
from engine.aws.errors import AwsError, DeploymentUnreachable, ModelAlreadyExists, StatusChanged
from engine.aws.models_table import (
    HOLDER_ATTRIBUTE,
    WRITE_PROBE_KEY,
    InvalidRecord,
    ModelsTable,
    UnreadableRecord,
    from_dynamodb,
    to_dynamodb,
)
from engine.errors import ModelNotFound
from engine.schema.enums import ModelStatus
from engine.schema.record import ModelRecord
from tests.engine.aws.conftest import TABLE, CallCounter
from tests.engine.factories import hosted_config, record, third_party_config

NOW_MS = 1_800_000_000_000


def put(clients: AwsClients, model: ModelRecord) -> None:
    clients.dynamodb().put_item(TableName=TABLE, Item=to_dynamodb(model.to_item()))


def raw_item(clients: AwsClients, model_id: str) -> dict[str, Any]:
    return clients.dynamodb().get_item(TableName=TABLE, Key={"model_id": {"S": model_id}})["Item"]


def test_scan_reads_every_page(clients: AwsClients, table: ModelsTable, counter: CallCounter) -> None:
    for index in range(25):
        put(clients, record(third_party_config(modelId=f"model-{index:02d}")))
    counter.reset()
    records = table.scan(page_size=10)
    assert sorted(r.model_id for r in records) == [f"model-{i:02d}" for i in range(25)]
    assert counter.count("Scan") == 3
    assert all(params.get("ConsistentRead") is True for name, params in counter.params if name == "Scan")


def test_scan_of_an_empty_table(table: ModelsTable) -> None:
    assert table.scan() == []


def test_scan_pages_are_dynamodbs_by_default(table: ModelsTable, counter: CallCounter) -> None:
    counter.reset()
    table.scan()
    assert [params.get("Limit") for name, params in counter.params if name == "Scan"] == [None]


def test_get_is_a_consistent_read(clients: AwsClients, table: ModelsTable, counter: CallCounter) -> None:
    put(clients, record(hosted_config(), "Stopped", litellm_id=None))
    counter.reset()
    model = table.get("mistral-7b-instruct")
    assert model.model_status is ModelStatus.STOPPED
    assert model.config["autoScalingConfig"]["maxCapacity"] == 3
    assert counter.params == [
        ("GetItem", {"TableName": TABLE, "Key": {"model_id": {"S": "mistral-7b-instruct"}}, "ConsistentRead": True})
    ]


def test_get_of_a_missing_model(table: ModelsTable) -> None:
    with pytest.raises(ModelNotFound, match="'nope'"):
        table.get("nope")


def test_numbers_round_trip_without_decimals(clients: AwsClients, table: ModelsTable) -> None:
    original = {
        "model_id": {"S": "numbers"},
        "model_status": {"S": "InService"},
        "last_modified_date": {"N": "1700000000123"},
        "context_window": {"N": "8192"},
        "model_config": {
            "M": {
                "modelId": {"S": "numbers"},
                "autoScalingConfig": {
                    "M": {
                        "minCapacity": {"N": "1"},
                        "metricConfig": {"M": {"targetValue": {"N": "0.75"}, "duration": {"N": "60"}}},
                    }
                },
                "features": {"L": [{"M": {"name": {"S": "toolCalls"}, "weight": {"N": "2.5"}}}]},
                "streaming": {"BOOL": True},
                "apiKey": {"NULL": True},
            }
        },
        "statusReason": {"S": "unknown attribute kept"},
        "litellm_id": {"NULL": True},
    }
    clients.dynamodb().put_item(TableName=TABLE, Item=original)  # type: ignore[arg-type]

    model = table.get("numbers")
    scaling = model.config["autoScalingConfig"]
    assert type(model.last_modified_date) is int
    assert type(scaling["minCapacity"]) is int
    assert scaling["metricConfig"]["targetValue"] == 0.75
    assert type(scaling["metricConfig"]["targetValue"]) is float
    assert not _contains_decimal(model.to_item())

    assert to_dynamodb(ModelRecord.from_item(from_dynamodb(original)).to_item()) == original
    clients.dynamodb().delete_item(TableName=TABLE, Key={"model_id": {"S": "numbers"}})
    table.put_new(model, touch=False)
    assert raw_item(clients, "numbers") == original


def _contains_decimal(value: Any) -> bool:
    if isinstance(value, Decimal):
        return True
    if isinstance(value, dict):
        return any(_contains_decimal(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_decimal(v) for v in value)
    return False


def test_transition_moves_the_status_and_sets_and_removes_attributes(clients: AwsClients, table: ModelsTable) -> None:
    put(clients, record(hosted_config(), "InService", litellm_id="ll-1", failure_reason="old failure"))
    written = table.transition_status(
        "mistral-7b-instruct",
        ModelStatus.IN_SERVICE,
        ModelStatus.STOPPING,
        {"litellm_id": None, HOLDER_ATTRIBUTE: "job-42"},
        remove_attributes=["failure_reason"],
    )
    assert written.model_status is ModelStatus.STOPPING
    assert written.litellm_id is None
    assert written.failure_reason is None
    assert written.last_modified_date == NOW_MS
    item = raw_item(clients, "mistral-7b-instruct")
    assert item["model_status"] == {"S": "Stopping"}
    assert item["litellm_id"] == {"NULL": True}
    assert item[HOLDER_ATTRIBUTE] == {"S": "job-42"}
    assert "failure_reason" not in item
    assert item["last_modified_date"] == {"N": str(NOW_MS)}


def test_transition_without_touching_the_modified_date(clients: AwsClients, table: ModelsTable) -> None:
    put(clients, record(third_party_config(), "InService"))
    written = table.transition_status("claude-3-5-sonnet", ModelStatus.IN_SERVICE, ModelStatus.UPDATING, touch=False)
    assert written.last_modified_date == 1_700_000_000_000


def test_a_failed_transition_says_what_the_status_is_now_and_who_holds_it(
    clients: AwsClients, table: ModelsTable
) -> None:
    put(clients, record(hosted_config(), "Updating", **{HOLDER_ATTRIBUTE: "job-7"}))
    with pytest.raises(StatusChanged) as caught:
        table.transition_status("mistral-7b-instruct", ModelStatus.IN_SERVICE, ModelStatus.STOPPING)
    assert caught.value.actual == "Updating"
    assert caught.value.expected == "InService"
    assert caught.value.holder == "job-7"
    assert "now Updating" in str(caught.value)
    assert raw_item(clients, "mistral-7b-instruct")["model_status"] == {"S": "Updating"}


def test_a_transition_of_a_vanished_model(table: ModelsTable) -> None:
    with pytest.raises(ModelNotFound):
        table.transition_status("gone", ModelStatus.IN_SERVICE, ModelStatus.UPDATING)
    assert table.scan() == []


def test_transition_refuses_to_set_the_key_or_status_itself(table: ModelsTable) -> None:
    with pytest.raises(ValueError, match="model_status"):
        table.transition_status("m", ModelStatus.IN_SERVICE, ModelStatus.UPDATING, {"model_status": "Failed"})
    with pytest.raises(ValueError, match=r"overlap: \[.a.\]"):
        table.transition_status("m", ModelStatus.IN_SERVICE, ModelStatus.UPDATING, {"a": 1}, ["a"])
    with pytest.raises(ValueError, match=r"overlap: .*model_config\.streaming"):
        table.transition_status(
            "m", ModelStatus.IN_SERVICE, ModelStatus.UPDATING, {"model_config": {}, ("model_config", "streaming"): 1}
        )


def test_a_transition_writes_nested_paths_and_leaves_the_rest_of_the_map(
    clients: AwsClients, table: ModelsTable
) -> None:
    put(clients, record(hosted_config(), "InService"))
    config = table.get("mistral-7b-instruct").config
    assert "environment" in config["containerConfig"]
    written = table.transition_status(
        "mistral-7b-instruct",
        ModelStatus.IN_SERVICE,
        ModelStatus.IN_SERVICE,
        {("model_config", "modelDescription"): "new", ("model_config", "containerConfig", "environment", "A.B"): "1"},
        [("model_config", "streaming")],
    )
    expected = {**config, "modelDescription": "new"}
    expected.pop("streaming")
    expected["containerConfig"] = {
        **config["containerConfig"],
        "environment": {**config["containerConfig"]["environment"], "A.B": "1"},
    }
    assert written.config == expected == table.get("mistral-7b-instruct").config


def test_put_new_and_a_duplicate(clients: AwsClients, table: ModelsTable) -> None:
    model = record(third_party_config(), "Creating")
    written = table.put_new(model)
    assert written.last_modified_date == NOW_MS
    assert table.get("claude-3-5-sonnet").model_status is ModelStatus.CREATING
    with pytest.raises(ModelAlreadyExists) as caught:
        table.put_new(record(third_party_config(), "Creating"))
    assert caught.value.problems[0].field == "modelId"


def test_a_transition_is_conditional_on_the_status(clients: AwsClients, table: ModelsTable) -> None:
    put(clients, record(hosted_config(), "Updating"))
    with pytest.raises(StatusChanged) as caught:
        table.transition_status("mistral-7b-instruct", ModelStatus.IN_SERVICE, ModelStatus.IN_SERVICE, {})
    assert caught.value.actual == "Updating"
    written = table.transition_status(
        "mistral-7b-instruct", ModelStatus.UPDATING, ModelStatus.IN_SERVICE, {"model_description": "new"}
    )
    assert written.last_modified_date == NOW_MS
    stored = table.get("mistral-7b-instruct")
    assert stored.model_description == "new"
    assert stored.model_status is ModelStatus.IN_SERVICE
    with pytest.raises(ModelNotFound):
        table.transition_status("claude-3-5-sonnet", ModelStatus.IN_SERVICE, ModelStatus.STOPPING, {})


def test_the_table_has_no_whole_item_write_over_an_existing_record() -> None:
    """Every write to an existing record is an attribute-level UpdateItem (issue #18): a PutItem of the item as read
    minutes earlier would lose what LISA wrote meanwhile."""
    assert not hasattr(ModelsTable, "replace")


def test_delete_is_conditional_and_returns_what_was_deleted(clients: AwsClients, table: ModelsTable) -> None:
    put(clients, record(hosted_config(), "Deleting", litellm_id="ll-9"))
    with pytest.raises(StatusChanged):
        table.delete("mistral-7b-instruct", ModelStatus.IN_SERVICE)
    deleted = table.delete("mistral-7b-instruct", ModelStatus.DELETING)
    assert deleted.litellm_id == "ll-9"
    with pytest.raises(ModelNotFound):
        table.get("mistral-7b-instruct")
    with pytest.raises(ModelNotFound):
        table.delete("mistral-7b-instruct", ModelStatus.DELETING)


def test_an_unreadable_item_is_a_domain_error(clients: AwsClients, table: ModelsTable) -> None:
    clients.dynamodb().put_item(TableName=TABLE, Item={"model_id": {"S": "weird"}, "model_status": {"S": "Exploding"}})
    with pytest.raises(InvalidRecord, match="weird"):
        table.scan()


def test_a_listing_that_takes_unreadable_items_reads_the_others(clients: AwsClients, table: ModelsTable) -> None:
    put(clients, record(third_party_config(modelId="m1"), "InService"))
    put(clients, record(third_party_config(modelId="m2"), "Stopped"))
    clients.dynamodb().put_item(TableName=TABLE, Item={"model_id": {"S": "newer"}, "model_status": {"S": "Archived"}})
    unreadable: list[UnreadableRecord] = []
    records = table.scan(unreadable=unreadable)
    assert sorted(r.model_id for r in records) == ["m1", "m2"]
    assert [(u.model_id, u.status_text) for u in unreadable] == [("newer", "Archived")]
    assert unreadable[0].reason == "status 'Archived' is not one this version knows"
    assert unreadable[0].item == {"model_id": "newer", "model_status": "Archived"}
    batch: list[UnreadableRecord] = []
    assert [r.model_id for r in table.get_many(["newer", "m1"], unreadable=batch)] == ["m1"]
    assert [u.model_id for u in batch] == ["newer"]
    read = table.get_readable("newer")
    assert isinstance(read, UnreadableRecord) and read.status_text == "Archived"
    with pytest.raises(InvalidRecord, match="newer"):
        table.get("newer")


def test_the_write_probe_allows_and_writes_nothing(
    clients: AwsClients, table: ModelsTable, counter: CallCounter
) -> None:
    put(clients, record(third_party_config(modelId="m1"), "InService"))
    before = clients.dynamodb().scan(TableName=TABLE)["Items"]
    counter.reset()
    assert table.write_refusal() is None
    assert counter.calls == ["UpdateItem"]
    _, params = counter.params[0]
    assert params["Key"] == {"model_id": {"S": WRITE_PROBE_KEY}}
    assert "UpdateExpression" not in params
    assert clients.dynamodb().scan(TableName=TABLE)["Items"] == before


def test_the_write_probe_names_the_missing_action_when_read_only(clients: AwsClients, table: ModelsTable) -> None:
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/ReadOnly/me is not authorized to perform: dynamodb:UpdateItem "
        "on resource: arn:aws:dynamodb:us-east-1:123456789012:table/LisaModels because no identity-based policy "
        "allows the dynamodb:UpdateItem action"
    )
    with Stubber(clients.dynamodb()) as stub:
        stub.add_client_error(
            "update_item", service_error_code="AccessDeniedException", service_message=message, http_status_code=400
        )
        refusal = table.write_refusal()
    assert refusal is not None
    assert refusal.startswith("read-only: ")
    assert "dynamodb:UpdateItem on table LisaModels" in refusal


def test_the_write_probe_raises_what_is_not_a_permission_answer(clients: AwsClients) -> None:
    with pytest.raises(AwsError, match="ResourceNotFoundException"):
        ModelsTable(clients, "NoSuchTable").write_refusal()
    with Stubber(clients.dynamodb()) as stub:
        stub.add_client_error("update_item", service_error_code="ExpiredTokenException", http_status_code=400)
        with pytest.raises(DeploymentUnreachable) as caught:
            ModelsTable(clients, TABLE).write_refusal()
    assert caught.value.code == "ExpiredToken"


def test_get_many_reads_a_hundred_keys_a_call(clients: AwsClients, table: ModelsTable, counter: CallCounter) -> None:
    ids = [f"m{index:03d}" for index in range(130)]
    for model_id in ids:
        put(clients, record(third_party_config(modelId=model_id), "InService"))
    counter.reset()
    records = table.get_many([*ids, "missing", ids[0]])
    assert sorted(r.model_id for r in records) == ids
    assert counter.count("BatchGetItem") == 2
    assert all(
        p["RequestItems"][TABLE]["ConsistentRead"] and len(p["RequestItems"][TABLE]["Keys"]) <= 100
        for name, p in counter.params
        if name == "BatchGetItem"
    )
    counter.reset()
    assert table.get_many([]) == []
    assert counter.calls == []


def test_get_many_asks_again_for_unprocessed_keys(clients: AwsClients, table: ModelsTable) -> None:
    put(clients, record(third_party_config(modelId="a"), "InService"))
    item = raw_item(clients, "a")
    keys = {"Keys": [{"model_id": {"S": "a"}}], "ConsistentRead": True}
    with Stubber(clients.dynamodb()) as stub:
        stub.add_response("batch_get_item", {"Responses": {TABLE: []}, "UnprocessedKeys": {TABLE: keys}})
        stub.add_response("batch_get_item", {"Responses": {TABLE: [item]}, "UnprocessedKeys": {}})
        records = table.get_many(["a"])
    assert [r.model_id for r in records] == ["a"]
