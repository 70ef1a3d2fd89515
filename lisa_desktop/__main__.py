"""`python -m lisa_desktop` and the `lisa-desktop` console script."""

import sys

from lisa_desktop.cli import run


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
