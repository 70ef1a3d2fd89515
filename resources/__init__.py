"""Icons, style sheets and the desktop entry, read with importlib.resources so they ship in every build."""

from importlib.resources import files
from importlib.resources.abc import Traversable


def resource(name: str) -> Traversable:
    return files(__name__).joinpath(name)
