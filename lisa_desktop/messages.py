"""How domain errors read for people, in the CLI and the window alike."""

from engine.errors import LisaDesktopError


def describe(error: LisaDesktopError) -> str:
    """The error's message; AWS failures carry their error code in brackets so it can be looked up."""
    code = getattr(error, "code", None)
    return f"[{code}] {error}" if isinstance(code, str) and code else str(error)
