"""MkDocs hook: show the Sphinx roles of zenrun's docstrings as plain code.

Docstrings say ``:class:`Name```, ``:meth:`get``` or ``:class:`~pathlib.Path```,
as Sphinx reads them; mkdocstrings renders the role's text literally. This
drops the role (and the ``~`` that shortens a dotted name) so the reference
shows ``Name``, ``get`` and ``Path`` as code.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj):(<code>)(~?)([^<]*)</code>")


def _shorten(match: re.Match[str]) -> str:
    name = match[3]
    if match[2]:  # ~a.b.C shows as C
        name = name.rsplit(".", 1)[-1]
    return f"<code>{name}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_shorten, html)
