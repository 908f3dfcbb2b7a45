"""Short text and HTML renderings of result objects, for the console and Jupyter.

Every result object shows a title line, a few facts and, where it has one, a small
table; ``__repr__`` gives the text form and ``_repr_html_`` the same content as an HTML
table that Jupyter displays. Numbers use at most 4 significant digits (6 for
log-likelihoods); the full-precision values stay on the object's attributes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["Display", "Displayable", "VerdictHtml", "fmt_number", "frame_rows"]


def fmt_number(value: float, digits: int = 4) -> str:
    """Format a number compactly: ``1,234``, ``2,500,000``, ``0.2426``, ``1.200e-07``, ``inf``.

    Examples
    --------
    >>> [fmt_number(v) for v in (2.5e6, 1234.567, 0.24259, 1.2e-7, 3.0, float("inf"))]
    ['2,500,000', '1,235', '0.2426', '1.200e-07', '3', 'inf']
    """
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v != 0 and (abs(v) >= 1e15 or abs(v) < 10 ** (-digits)):
        return f"{v:.{digits - 1}e}"
    if abs(v) >= 10 ** (digits - 1) or v == int(v):
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


class Display:
    """A title, fact lines and an optional table, rendered as text or HTML.

    Parameters
    ----------
    title : str
        First line, e.g. ``"BetaGeo fit on 2,357 customers"``.
    facts : sequence of str
        One short line each.
    columns : sequence of str
        Table column headers (the first column holds the row labels).
    rows : sequence of sequence of str
        Table rows, already formatted.
    footer : sequence of str or None
        Lines after the table (``None`` entries are skipped).

    Examples
    --------
    >>> print(Display("Demo", ["two rows"], ["name", "value"], [["a", "1"], ["bb", "22"]]).text())
    Demo
      two rows
      name  value
      a         1
      bb       22
    """

    def __init__(
        self,
        title: str,
        facts: Sequence[str] = (),
        columns: Sequence[str] = (),
        rows: Sequence[Sequence[str]] = (),
        footer: Sequence[str | None] = (),
    ) -> None:
        self.title = title
        self.facts = list(facts)
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]
        self.footer = [f for f in footer if f]

    def text(self) -> str:
        """Plain-text form: the title, indented facts and an aligned table."""
        lines = [self.title] + [f"  {f}" for f in self.facts]
        if self.columns:
            table = [self.columns, *self.rows]
            widths = [max(len(r[i]) for r in table) for i in range(len(self.columns))]
            for row in table:
                cells = [row[0].ljust(widths[0])]
                cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
                lines.append("  " + "  ".join(cells).rstrip())
        lines += [f"  {f}" for f in self.footer]
        return "\n".join(lines)

    def html(self) -> str:
        """HTML form: a captioned table (Jupyter's ``_repr_html_``)."""
        esc = html.escape
        parts = [f"<div><strong>{esc(self.title)}</strong>"]
        if self.facts:
            parts.append("<ul>" + "".join(f"<li>{esc(f)}</li>" for f in self.facts) + "</ul>")
        if self.columns:
            head = "".join(f"<th>{esc(c)}</th>" for c in self.columns)
            body = "".join(
                "<tr><th>"
                + esc(r[0])
                + "</th>"
                + "".join(f'<td style="text-align:right">{esc(c)}</td>' for c in r[1:])
                + "</tr>"
                for r in self.rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        if self.footer:
            parts.append("".join(f"<p>{esc(f)}</p>" for f in self.footer))
        parts.append("</div>")
        return "".join(parts)


def frame_rows(
    frame: pd.DataFrame, *, max_rows: int = 12, digits: int = 4
) -> tuple[list[str], list[list[str]], str | None]:
    """Columns, formatted rows (index first) and a "... N more rows" note for a table."""
    index_name = ", ".join(str(n) for n in frame.index.names if n is not None) or ""
    columns = [index_name] + [str(c) for c in frame.columns]
    rows = []
    for label, values in zip(frame.index[:max_rows], frame.to_numpy()[:max_rows], strict=True):
        cells = [str(label)]
        for v in values:
            if isinstance(v, bool | np.bool_) or v is None:
                cells.append(str(v))
            elif isinstance(v, int | float | np.integer | np.floating):
                cells.append(fmt_number(float(v), digits))
            else:
                cells.append(str(v))
        rows.append(cells)
    more = len(frame) - max_rows
    note = f"... {more:,} more rows" if more > 0 else None
    return columns, rows, note


class Displayable:
    """Mixin: ``__repr__`` and ``_repr_html_`` from the class's ``_display()``.

    attrs classes using it are declared with ``repr=False`` so the mixin's repr is used.
    """

    __slots__ = ()

    def _display(self) -> Display:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self._display().text()

    def _repr_html_(self) -> str:
        return self._display().html()


class VerdictHtml:
    """Mixin: a Jupyter HTML table for claim verdicts (``claim``, ``holds``, ``measured()``).

    The text repr stays the attrs one (every field, short); the HTML view shows the
    claim, the verdict and the measured figures.
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        holds = getattr(self, "holds", None)
        verdict = "holds" if holds is True else "does not hold" if holds is False else "open"
        figures = self.measured()  # type: ignore[attr-defined]
        rows = [[str(k), fmt_number(float(v))] for k, v in figures.items()]
        claim = str(self.claim)  # type: ignore[attr-defined]
        return Display(
            f"Claim: {claim}", [f"verdict: {verdict}"], ["figure", "value"], rows
        ).html()
