"""``rampup`` and ``python -m rampup``: the command line, or one line naming the extra it needs.

The command is built on typer and rich (the ``cli`` extra); on a core-only install this entry point
says so in one line instead of ending in an import traceback.
"""

from __future__ import annotations

import sys

_CLI_MODULES = ("typer", "click", "rich", "pydantic", "yaml")
_CLI_EXTRA = "the cli extra: pip install '.[cli]' in the rampup checkout, or 'rampup-*.whl[cli]' from a built wheel"


def main() -> None:
    """Run the ``rampup`` command line (the console script)."""
    try:
        from .cli import main as run
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] not in _CLI_MODULES:
            raise
        sys.stderr.write(f"rampup: the command line needs {e.name}: install {_CLI_EXTRA}\n")
        sys.exit(2)
    run()


if __name__ == "__main__":
    main()
