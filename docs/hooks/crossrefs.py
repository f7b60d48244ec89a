"""MkDocs hook: turn the docstrings' Sphinx roles into links on the API page.

simlab's docstrings are numpydoc, whose cross-references are Sphinx roles
(``:func:`run```, ``:meth:`Results.summary <simlab.results.Results.summary>```).
mkdocstrings renders them as text: ``:func:<code>run</code>``. This hook (run on every
page's HTML) replaces each role with a link to the object's anchor on the same page when
one is found, and with plain code otherwise (an object the reference does not render,
such as ``numpy.ndarray``). It resolves a target as written, under ``simlab.``, under the
object whose docstring holds it (and that object's parents), then by a unique suffix.

``tests/test_docs_site.py`` builds the site and fails on any raw role left.
"""

from __future__ import annotations

import html
import re
from typing import Any

ROLE = re.compile(r":(?:py:)?(func|class|meth|mod|data|attr|obj|exc|const):<code>(.*?)</code>")
ANCHOR = re.compile(r'id="(simlab(?:\.[\w]+)*)"')


def resolve(target: str, anchors: list[str], context: str | None) -> str | None:
    """Return the anchor a role's target names, or None."""
    known = set(anchors)
    candidates = [target, f"simlab.{target}"]
    if context:
        parts = context.split(".")
        candidates += [".".join([*parts[:i], target]) for i in range(len(parts), 0, -1)]
    for candidate in candidates:
        if candidate in known:
            return candidate
    tail = target.split(".")[-1] if target.startswith("simlab.") else target
    matches = sorted({a for a in anchors if a.endswith("." + tail)})
    if len(matches) == 1:
        return matches[0]
    return None


def rewrite(text: str) -> str:
    """Return the page's HTML with every role replaced by a link or plain code."""
    anchors = ANCHOR.findall(text)
    positions = [(m.start(), m.group(1)) for m in ANCHOR.finditer(text)]

    def context_at(index: int) -> str | None:
        before = [name for start, name in positions if start < index]
        return before[-1] if before else None

    def replace(match: re.Match[str]) -> str:
        inner = html.unescape(match.group(2)).strip()
        titled = re.fullmatch(r"(.*?)\s*<(.+)>", inner)
        if titled:
            shown, target = titled.group(1), titled.group(2)
        else:
            target = inner.lstrip("~").lstrip(".")
            shown = target.split(".")[-1] if inner.startswith("~") else target
        anchor = resolve(target.lstrip("~"), anchors, context_at(match.start()))
        code = f"<code>{html.escape(shown)}</code>"
        if anchor is None:
            return code
        return f'<a class="autorefs autorefs-internal" href="#{anchor}">{code}</a>'

    return ROLE.sub(replace, text)


def on_page_content(html_text: str, **kwargs: Any) -> str:
    """MkDocs event: rewrite the roles of each page."""
    return rewrite(html_text)
