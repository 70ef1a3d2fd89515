"""The bundle's entry point (PyInstaller runs this file as __main__): the `lisa-desktop` console script."""

import multiprocessing
import sys

from lisa_desktop.__main__ import main

if __name__ == "__main__":
    # The inventory reader's helper process is this executable started by multiprocessing's `spawn` method:
    # freeze_support() runs the helper instead of the app when the arguments say so.
    multiprocessing.freeze_support()
    if getattr(sys, "frozen", False) and sys.argv[1:3] == ["-m", "lisa_desktop"]:
        # A frozen executable is its own interpreter: `sys.executable -m lisa_desktop ...` (how a command without
        # --wait starts its background job, lisa_desktop/cli/changes.py) arrives here with those two words first.
        del sys.argv[1:3]
    main()
