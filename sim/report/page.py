"""A static HTML page: headings, tables and figures, sized for a laptop screen, no script, no external files."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;margin:0 auto;padding:1.5em;max-width:1100px;line-height:1.4}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid #d6dae3}
p.lead{color:#4a5263;margin:.3em 0 1em}
.grid{display:flex;flex-wrap:wrap;gap:0 1.5em;align-items:flex-start}.grid>section{flex:1 1 420px;min-width:0}
.grid>section.wide{flex-basis:100%}.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.3em 0 1em;font-size:.92em}
th,td{padding:.3em .6em;border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
thead th{background:#f3f5f9}
figure{margin:1em 0}figure img{display:block;max-width:100%;height:auto;border:1px solid #e6e9ef}
figcaption{color:#4a5263;font-size:.9em;margin-top:.3em}
.bad{color:#b3261e;font-weight:600}.ok{color:#1e7b34;font-weight:600}
code{font-size:.9em;overflow-wrap:anywhere}
"""


@dataclass
class Table:
    title: str
    header: Sequence[str]
    rows: list[Sequence[str]]
    numeric: Sequence[bool] = ()  # right-align these columns

    def render(self) -> str:
        numeric = list(self.numeric) or [False] * len(self.header)
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join(
            "<tr>" + "".join(
                f'<td class="n">{html.escape(str(cell))}</td>' if numeric[i] else f"<td>{html.escape(str(cell))}</td>"
                for i, cell in enumerate(row)
            ) + "</tr>"
            for row in self.rows
        )
        wide = ' class="wide"' if len(self.header) > 3 else ""
        return (f"<section{wide}><h2>{html.escape(self.title)}</h2><div class=\"scroll\"><table><thead><tr>{head}</tr>"
                f"</thead><tbody>{body}</tbody></table></div></section>")


@dataclass
class Figure:
    file: str
    caption: str

    def render(self) -> str:
        return (f'<figure><img src="{html.escape(self.file)}" alt="{html.escape(self.caption)}">'
                f"<figcaption>{html.escape(self.caption)}</figcaption></figure>")


@dataclass
class Page:
    title: str
    lead: str = ""
    status: tuple[str, bool] | None = None  # (text, good)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    closing_tables: list[Table] = field(default_factory=list)

    def write(self, path: Path) -> Path:
        status = ""
        if self.status is not None:
            text, good = self.status
            status = f'<p class="{"ok" if good else "bad"}">{html.escape(text)}</p>'
        tables = "".join(t.render() for t in self.tables)
        figures = "".join(f.render() for f in self.figures)
        closing = "".join(t.render() for t in self.closing_tables)
        document = (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(self.title)}</title><style>{STYLE}</style></head>\n"
            f"<body><h1>{html.escape(self.title)}</h1><p class=\"lead\">{html.escape(self.lead)}</p>{status}"
            f'<div class="grid">{tables}</div>{figures}<div class="grid">{closing}</div></body></html>\n'
        )
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(document, encoding="utf-8")
        temporary.replace(path)
        return path
