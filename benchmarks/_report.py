"""Writing a benchmark's results into its section of a markdown page in docs/, leaving the other sections as they are."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable


def write_section(path: str, section: str, lines: list[str]) -> None:
    """Replace the section headed ``section`` (a ``## `` line) in the page at ``path`` with ``lines``, or append it."""
    text = "# Benchmarks\n\n"
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    start = text.find(section)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    else:
        nxt = text.find("\n## ", start + len(section))
        text = text[:start] + "\n".join(lines) + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n")


def run(doc: str | None, section: str, make_lines: Callable[[], list[str]]) -> None:
    """A benchmark's command line: measure, print the section, and with ``--write PAGE`` put it into that page."""
    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    ap.add_argument("--write", help="replace the section in this markdown file")
    args = ap.parse_args()
    lines = make_lines()
    print("\n".join(lines))
    if args.write:
        write_section(args.write, section, lines)
