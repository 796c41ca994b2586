"""Writing a benchmark's results into its section of a markdown page in docs/, leaving the other sections as they are."""

from __future__ import annotations

import os


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
