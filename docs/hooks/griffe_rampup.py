"""Griffe extension: read rampup's Google-style docstrings as rampup writes them.

- ``Example:`` starts an examples section, as ``Examples:`` does (both are Google style, as in Napoleon); griffe
  reads only the plural that way and would render the singular as prose, turning ``>>>`` into nested quotes.
- An argument entry may describe several arguments at once (``total_steps, steps_per_epoch: the budget ...``);
  griffe expects one name per entry, so the entry is repeated for each name.
- Sphinx roles (``:class:`Scheduler` ``, ``:math:`...` ``), which Markdown does not know, are shown as code, and a
  reST literal block's ``::`` is a plain colon (the indented block after it is code in Markdown too).

The docstring's text is rewritten before it is parsed; the source is untouched.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.M)
_ROLE = re.compile(r":(?:class|func|meth|attr|mod|obj|exc|data|math):`([^`]+)`")
_LITERAL = re.compile(r"(\S)::$", re.M)
_SECTION = re.compile(r"^(\s*)(Args|Arguments|Parameters|Keyword Args|Keyword Arguments):\s*$")
_SHARED = re.compile(r"^(\s+)(\*{0,2}\w+(?:,\s*\*{0,2}\w+)+):(.*)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _split_shared_entries(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    i, section_indent = 0, None
    while i < len(lines):
        line = lines[i]
        header = _SECTION.match(line)
        if header:
            section_indent = len(header.group(1))
        elif line.strip() and section_indent is not None and _indent(line) <= section_indent:
            section_indent = None
        shared = _SHARED.match(line) if section_indent is not None else None
        if shared and _indent(line) > section_indent:
            body = [shared.group(3)]
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > _indent(line)):
                body.append("\n" + lines[j])
                j += 1
            out.extend(f"{shared.group(1)}{name}:{''.join(body)}" for name in re.split(r",\s*", shared.group(2)))
            i = j
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class RampupDocstrings(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            text = _ROLE.sub(r"``\1``", _EXAMPLE.sub(r"\1Examples:", obj.docstring.value))
            text = _LITERAL.sub(r"\1:", text)
            obj.docstring.value = _split_shared_entries(text)
