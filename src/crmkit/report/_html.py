"""A small, dependency-free builder of self-contained HTML reports.

Tables come from DataFrames, figures are embedded as base64 PNG, so the single
``report.html`` file can be mailed or archived as it is.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

__all__ = ["HtmlReport"]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 72rem; color: #1d2733; line-height: 1.45; padding: 0 1rem; }
h1 { border-bottom: 3px solid #2c6e9b; padding-bottom: .3rem; }
h2 { margin-top: 2.4rem; color: #2c6e9b; border-bottom: 1px solid #d5dde5; }
table { border-collapse: collapse; margin: .8rem 0 1.2rem; font-size: .9rem; }
th, td { border: 1px solid #d5dde5; padding: .25rem .6rem; text-align: right; }
th { background: #eef3f7; }
td:first-child, th:first-child { text-align: left; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: .3rem 0; }
figure { margin: 1rem 0; } figcaption { font-size: .85rem; color: #52606d; }
.kv { display: grid; grid-template-columns: max-content auto; gap: .2rem 1.2rem; }
.kv dt { font-weight: 600; } .kv dd { margin: 0; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5rem .8rem; }
.verdict-true { color: #1a7f37; font-weight: 600; }
.verdict-false { color: #b42318; font-weight: 600; }
footer { margin-top: 3rem; font-size: .8rem; color: #52606d; }
"""


@attrs.define
class HtmlReport:
    """Accumulate report sections and render them as one self-contained HTML page.

    Examples
    --------
    >>> import pandas as pd
    >>> rep = HtmlReport(title="Demo")
    >>> rep.heading("Numbers")
    >>> rep.table(pd.DataFrame({"a": [1, 2]}), caption="A <b>table</b>")
    >>> page = rep.render()
    >>> ">Numbers</h2>" in page and "A &lt;b&gt;table&lt;/b&gt;" in page
    True
    """

    title: str
    parts: list[str] = attrs.field(factory=list)
    toc: list[tuple[str, str]] = attrs.field(factory=list)

    def heading(self, text: str) -> None:
        """Start a section (listed in the table of contents)."""
        anchor = f"s{len(self.toc) + 1}"
        self.toc.append((anchor, text))
        self.parts.append(f'<h2 id="{anchor}">{html.escape(text)}</h2>')

    def summary(self, text: str, pairs: Mapping[str, Any]) -> None:
        """A first section (before all others) of labelled values."""
        self.toc.insert(0, ("s0", text))
        rows = "".join(
            f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
            for k, v in pairs.items()
        )
        self.parts.insert(
            0, f'<h2 id="s0">{html.escape(text)}</h2><dl class="kv headline">{rows}</dl>'
        )

    def paragraph(self, text: str) -> None:
        """A paragraph of plain text (escaped)."""
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def note(self, text: str) -> None:
        """A highlighted note (escaped)."""
        self.parts.append(f'<p class="note">{html.escape(text)}</p>')

    def bullets(self, items: Iterable[str]) -> None:
        """A bulleted list of plain-text items."""
        lis = "".join(f"<li>{html.escape(i)}</li>" for i in items)
        self.parts.append(f"<ul>{lis}</ul>")

    def key_values(self, pairs: Mapping[str, Any]) -> None:
        """A definition list of labelled values."""
        rows = "".join(
            f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
            for k, v in pairs.items()
        )
        self.parts.append(f'<dl class="kv">{rows}</dl>')

    def table(
        self,
        frame: pd.DataFrame,
        *,
        caption: str | None = None,
        float_format: str = "{:,.3f}",
        index: bool = True,
        max_rows: int = 60,
    ) -> None:
        """A DataFrame as an HTML table (at most ``max_rows`` rows, values escaped)."""
        shown = frame.head(max_rows)
        body = shown.to_html(
            index=index,
            escape=True,
            border=0,
            float_format=lambda v: float_format.format(v),
            na_rep="",
        )
        if caption:
            body = body.replace(">", f"><caption>{html.escape(caption)}</caption>", 1)
        if len(frame) > max_rows:
            body += f"<p><em>first {max_rows} of {len(frame):,} rows; the CSV has all.</em></p>"
        self.parts.append(body)

    def figure(self, fig: Any, *, caption: str) -> None:
        """Embed a matplotlib figure as a base64 PNG, then close it."""
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(fig)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        self.parts.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def render(self, *, footer: str = "") -> str:
        """The whole page as a string."""
        toc = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in self.toc)
        foot = f"<footer>{html.escape(footer)}</footer>" if footer else ""
        return (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(self.title)}</h1><nav><ol>{toc}</ol></nav>"
            + "".join(self.parts)
            + foot
            + "</body></html>"
        )

    def write(self, path: str | Path, *, footer: str = "") -> Path:
        """Write the page to ``path`` (UTF-8) and return the path."""
        target = Path(path)
        target.write_text(self.render(footer=footer), encoding="utf-8")
        return target
