"""An update's configuration written as the keys it changed."""

from __future__ import annotations

from engine.config_writes import MAX_PATHS, changed_paths

ROOT = ("model_config",)


def test_only_changed_keys_are_written_and_lists_whole() -> None:
    old = {"a": 1, "m": {"x": 1, "y": {"z": 2}}, "l": [1, 2], "gone": True}
    new = {"a": 1, "m": {"x": 2, "y": {"z": 2}, "new": {"k": "v"}}, "l": [1, 3]}
    sets, removes = changed_paths(old, new, ROOT)
    assert sets == {
        ("model_config", "m", "x"): 2,
        ("model_config", "m", "new"): {"k": "v"},
        ("model_config", "l"): [1, 3],
    }
    assert removes == [("model_config", "gone")]


def test_a_map_replacing_a_scalar_and_a_type_change_are_written_whole() -> None:
    sets, removes = changed_paths({"c": None, "n": 1}, {"c": {"e": {}}, "n": True}, ROOT)
    assert sets == {("model_config", "c"): {"e": {}}, ("model_config", "n"): True}
    assert removes == []


def test_nothing_changed_writes_nothing_and_too_many_changes_write_the_map() -> None:
    assert changed_paths({"a": {"b": 1}}, {"a": {"b": 1}}, ROOT) == ({}, [])
    many = {f"k{i}": i for i in range(MAX_PATHS + 1)}
    assert changed_paths({}, many, ROOT) == ({ROOT: many}, [])
