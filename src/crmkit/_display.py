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

__all__ = ["Display", "fmt_number"]


def fmt_number(value: float, digits: int = 4) -> str:
    """Format a number compactly: ``1,234``, ``0.2426``, ``1.2e-07``, ``inf``."""
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v != 0 and (abs(v) >= 10**digits * 100 or abs(v) < 10 ** (-digits)):
        return f"{v:.{digits - 1}e}"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}g}"


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
    ) -> None:
        self.title = title
        self.facts = list(facts)
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]

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
        parts.append("</div>")
        return "".join(parts)
