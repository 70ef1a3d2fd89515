"""`python -m lisa_desktop` and the `lisa-desktop` console script."""

import os
import sys

from lisa_desktop.cli import run


def main() -> None:
    try:
        code = run()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`lisa-desktop models list --json | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    main()
