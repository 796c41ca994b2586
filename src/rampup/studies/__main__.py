"""``python -m rampup.studies demo|study ...``: the same commands as ``rampup demo`` and ``rampup study``."""

from __future__ import annotations

import typer

from .cli import register


def main() -> None:
    """Run the ``demo`` and ``study`` commands as their own small app."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    app()


if __name__ == "__main__":
    main()
