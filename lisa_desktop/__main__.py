"""`python -m lisa_desktop` and the `lisa-desktop` console script."""

import logging
import os
import sys

from lisa_desktop import draft_secrets
from lisa_desktop.logs import configure_logging
from lisa_desktop.options import window_arguments


def main() -> None:
    configure_logging()
    try:
        code = run(sys.argv[1:])
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`lisa-desktop models list --json | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except Exception:
        logging.getLogger("lisa_desktop").exception("lisa-desktop %s failed", sys.argv[1:2])
        raise
    sys.exit(code)


def run(argv: list[str]) -> int:
    """Opening the window imports only what the first paint needs; a command imports the whole CLI."""
    draft_secrets.install()
    args = window_arguments(argv)
    if args is not None:
        from lisa_desktop.app import run_app

        args.argv = argv
        return run_app(args)
    from lisa_desktop.cli import run as run_command

    return run_command(argv)


if __name__ == "__main__":
    main()
