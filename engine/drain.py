"""Letting go of large results an item at a time, so no single deallocation holds the GIL for long.

Freeing a list of thousands of records is one C-level cascade: 5,000 model records or views take ~40 ms here,
during which no other thread (the window's GUI thread above all) runs a line of Python. Consuming such a list
with `drain()` frees each item as the loop moves past it, with the interpreter free to switch threads between.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")


def drain(items: list[T]) -> Iterator[T]:
    """The items of `items` in order, each removed from the list as it is handed out (the list ends empty).

    An item is freed when the consumer lets go of it, unless something else still refers to it."""
    items.reverse()
    while items:
        yield items.pop()
