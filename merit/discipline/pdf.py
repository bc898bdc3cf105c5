"""PDF documents of the procedure (a penalty notice, a personnel file) with reportlab.

Chinese text uses the Adobe CID font STSong-Light that every PDF reader carries, so no font file ships
with merit and the PDF stays small. A document is a title, a subtitle and sections of label/value rows
or tables; every value is escaped (a name or a reason is text, never markup).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=4)
_SUB = ParagraphStyle("sub", fontName=FONT, fontSize=9, leading=12, textColor=colors.grey, spaceAfter=8)
_HEAD = ParagraphStyle("head", fontName=FONT, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4)
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")


@dataclass
class Section:
    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # label, value
    table: list[list[str]] | None = None  # first row: the header
    note: str = ""


def _p(text) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), _CELL)


def render(title: str, subtitle: str, sections: list[Section]) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="merit",
    )
    story = [Paragraph(escape(title), _TITLE), Paragraph(escape(subtitle), _SUB)]
    width = A4[0] - 36 * mm
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0b7c3")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f3f6")),
        ]
    )
    for s in sections:
        story.append(Paragraph(escape(s.heading), _HEAD))
        if s.rows:
            t = Table([[_p(k), _p(v)] for k, v in s.rows], colWidths=[width * 0.28, width * 0.72])
            t.setStyle(grid)
            story.append(t)
        if s.table:
            cols = len(s.table[0])
            t = Table(
                [[_p(c) for c in row] for row in s.table], colWidths=[width / cols] * cols, repeatRows=1
            )
            t.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0b7c3")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f3f6")),
                    ]
                )
            )
            story.append(t)
        elif s.table is not None:
            story.append(_p("—"))
        if s.note:
            story.append(Spacer(1, 3 * mm))
            story.append(_p(s.note))
    doc.build(story)
    return buf.getvalue()
