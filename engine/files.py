"""Read and write configuration files (YAML or JSON in LISA's API shapes), refusing anything unsafe or odd."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from engine.errors import ConfigFileError
from engine.private_files import write_private_text

MAX_FILE_BYTES = 1024 * 1024
_TOO_LONG = f"a number has more than {sys.get_int_max_str_digits()} digits"


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors/aliases: a config file never needs them, and they allow 'billion laughs'."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ConfigFileError(f"line {event.start_mark.line + 1}: YAML aliases (*name) are not allowed")
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigFileError(
                    f"line {key_node.start_mark.line + 1}: a key must be a plain name, not a list or a mapping"
                )
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigFileError(f"line {key_node.start_mark.line + 1}: key '{key}' appears twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_document(path: str | Path) -> Any:
    """The parsed content of a YAML or JSON file; ConfigFileError names the file and what is wrong."""
    source = Path(path)
    try:
        if not source.is_file():
            raise ConfigFileError(f"{source}: no such file" if not source.exists() else f"{source}: not a file")
        size = source.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigFileError(f"{source}: {size} bytes is too large for a model configuration (limit 1 MiB)")
        raw = source.read_bytes()
    except OSError as error:
        raise ConfigFileError(f"{source}: cannot read ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigFileError(f"{source}: not UTF-8 text") from None
    return parse_document(text, str(source), json_only=source.suffix.lower() == ".json")


def parse_document(text: str, name: str = "<input>", json_only: bool = False) -> Any:
    """The document, checked: every string valid Unicode (no lone surrogate, which JSON's escapes allow)."""
    document = _parse(text, name, json_only)
    _check_text(document, name)
    return document


def _check_text(value: Any, name: str, where: str = "") -> None:
    """ConfigFileError for a string that cannot be written as UTF-8 (a lone surrogate such as "\\ud800")."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            shown = value.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            raise ConfigFileError(f"{name}: {where or 'a value'}: '{shown}' is not valid Unicode text") from None
    elif isinstance(value, dict):
        for key, inner in value.items():
            _check_text(key, name, f"{where}.key" if where else "a key")
            _check_text(inner, name, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_text(inner, name, f"{where}[{index}]")


def _parse(text: str, name: str, json_only: bool) -> Any:
    if not text.strip():
        raise ConfigFileError(f"{name}: the file is empty")
    if json_only:
        try:
            return json.loads(text, object_pairs_hook=_unique_keys)
        except ConfigFileError as error:
            raise ConfigFileError(f"{name}: {error}") from None
        except RecursionError:
            raise ConfigFileError(f"{name}: nested too deeply") from None
        except json.JSONDecodeError as error:
            where = f"line {error.lineno}, column {error.colno}"
            raise ConfigFileError(f"{name}: not valid JSON ({where}: {error.msg})") from None
        except ValueError:  # an integer of more digits than Python converts
            raise ConfigFileError(f"{name}: {_TOO_LONG}") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except ConfigFileError as error:
        raise ConfigFileError(f"{name}: {error}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigFileError(f"{name}: not valid YAML or JSON{where}: {error.problem}") from None
    except (yaml.YAMLError, RecursionError) as error:
        raise ConfigFileError(f"{name}: not valid YAML or JSON: {error}") from None
    except ValueError:  # an integer of more digits than Python converts
        raise ConfigFileError(f"{name}: {_TOO_LONG}") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ConfigFileError(f"key '{key}' appears twice")
        result[key] = value
    return result


def dump_document(data: Any, path: str | Path) -> None:
    """Write `data` as JSON when the file ends in .json, else as YAML (block style, keys in given order)."""
    target = Path(path)
    if target.suffix.lower() == ".json":
        write_private_text(target, json.dumps(data, indent=2) + "\n")
    else:
        write_private_text(target, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
