"""The report as a PDF (reportlab): patient identity and page number on every page, sections
with tables, charts of intake against target and of lab results, and a signature block.

Fonts: DejaVu Sans from Debian's ``fonts-dejavu-core`` is embedded, so accented and
non-Latin (Greek, Cyrillic) names render as text; without it the report cannot be drawn.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from operations.report.nutrients import REPORTED

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
DISCLAIMER = (
    "Computed from the data recorded for this patient (food logs, results, alerts). Intake "
    "figures depend on what was logged; this report supports, and does not replace, "
    "clinical judgement."
)


@functools.cache
def _fonts() -> None:
    for name in (FONT, BOLD):
        path = next((d / f"{name}.ttf" for d in FONT_DIRS if (d / f"{name}.ttf").exists()), None)
        if path is None:
            raise RuntimeError(f"{name}.ttf not found: install Debian's fonts-dejavu-core")
        pdfmetrics.registerFont(TTFont(name, str(path)))


def _style(size: float = 9, bold: bool = False) -> ParagraphStyle:
    return ParagraphStyle("s", fontName=BOLD if bold else FONT, fontSize=size, leading=size * 1.3)


def _table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    body = [[Paragraph(str(c), _style(8, n == 0)) for c in row] for n, row in enumerate(rows)]
    table = Table(body, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6ee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _heading(text: str) -> list[Flowable]:
    return [Spacer(1, 4 * mm), Paragraph(text, _style(12, True)), Spacer(1, 2 * mm)]


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value or "")


def _intake_chart(report: dict[str, Any]) -> Drawing:
    """Mean daily intake as a share of the first numeric target, per nutrient."""
    nutr = report["nutrition"]
    keys = [
        k
        for k, _, _ in REPORTED
        if any(t.get("value") and t["unit"] != "g/(1000.kcal)" for t in nutr["targets"].get(k, []))
    ]
    shares = []
    for key in keys:
        target = next(t for t in nutr["targets"][key] if t.get("value"))
        shares.append(round(100 * nutr["mean"].get(key, 0.0) / target["value"], 1))
    drawing = Drawing(170 * mm, 60 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 30, 150 * mm, 40 * mm
    chart.data = [shares or [0]]
    chart.categoryAxis.categoryNames = keys or ["none"]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 6
    chart.categoryAxis.labels.angle = 30
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.valueMin = 0
    drawing.add(chart)
    drawing.add(
        String(30, 52 * mm, "Mean intake, % of target (100 = target)", fontName=FONT, fontSize=8)
    )
    return drawing


def _lab_chart(group: dict[str, Any]) -> Drawing:
    points = [(n, float(r["value"])) for n, r in enumerate(group["results"])]
    drawing = Drawing(170 * mm, 40 * mm)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 30, 15, 150 * mm, 28 * mm
    plot.data = [points if len(points) > 1 else points * 2]
    plot.xValueAxis.labels.fontName = plot.yValueAxis.labels.fontName = FONT
    drawing.add(plot)
    drawing.add(
        String(
            30, 38 * mm, f"{group['test']} ({group['latest']['unit']})", fontName=FONT, fontSize=8
        )
    )
    return drawing


def _clinical(report: dict[str, Any]) -> list[Flowable]:
    out = _heading("Problems")
    out.append(
        _table(
            [["Condition", "ICD-10-CM", "Onset"]]
            + [[c["display"], c["icd10cm"], c["onset"]] for c in report["conditions"]]
        )
    )
    if "allergies" in report:
        out += _heading("Allergies")
        out.append(
            _table(
                [["Substance", "Criticality", "Severity", "Reactions"]]
                + [
                    [a["substance"], a["criticality"], a["severity"], ", ".join(a["reactions"])]
                    for a in report["allergies"]
                ]
            )
        )
    if "medications" in report:
        out += _heading("Medications")
        out.append(
            _table(
                [["Medication", "Dosage"]]
                + [[m["name"], m["dosage"]] for m in report["medications"]]
            )
        )
    return out


def _nutrition(report: dict[str, Any]) -> list[Flowable]:
    nutr, out = report["nutrition"], _heading("Nutrition: mean daily intake and targets")
    rows = [["Nutrient", "Mean/day", "Target", "Status", "Source"]]
    for key, label, unit in REPORTED:
        targets = nutr["targets"].get(key) or [{}]
        for n, t in enumerate(targets):
            target = (
                f"{t.get('comparator', '')} {_fmt(t.get('value'))}"
                + (f"-{_fmt(t['high'])}" if t.get("high") else "")
                + f" {t.get('unit', '')}"
            )
            mean = f"{_fmt(nutr['mean'].get(key, 0))} {unit}" if n == 0 else ""
            rows.append(
                [
                    label if n == 0 else "",
                    mean,
                    target if t else "",
                    t.get("status", ""),
                    t.get("source", ""),
                ]
            )
    out += [_table(rows, [30 * mm, 25 * mm, 35 * mm, 22 * mm, 58 * mm]), _intake_chart(report)]
    if "trends" in report:
        out += _heading("Trends (7-day moving average, change over the period)")
        out.append(
            _table(
                [["Nutrient", "Last 7-day mean", "Change"]]
                + [
                    [
                        label,
                        _fmt((report["trends"][k]["moving_average"] or [None])[-1]),
                        _fmt(report["trends"][k]["change"]),
                    ]
                    for k, label, _ in REPORTED
                ]
            )
        )
    return out


def _results(report: dict[str, Any]) -> list[Flowable]:
    out: list[Flowable] = []
    if "labs" in report:
        out += _heading("Laboratory results")
        rows = [["Test", "Date", "Value", "Range", "Interpretation"]]
        for g in report["labs"]:
            rows += [
                [
                    g["test"],
                    r["date"],
                    f"{_fmt(r['value'])} {r['unit']}",
                    f"{_fmt(r['low'])}-{_fmt(r['high'])}",
                    r["interpretation"],
                ]
                for r in g["results"]
            ]
        out.append(_table(rows))
        out += [_lab_chart(g) for g in report["labs"] if len(g["results"]) > 1]
    if "alerts" in report:
        out += _heading("Alerts")
        out.append(
            _table(
                [["Date", "Severity", "Alert", "Acknowledged"]]
                + [
                    [a["date"], a["severity"], a["title"], "yes" if a["acknowledged"] else "no"]
                    for a in report["alerts"]
                ]
            )
        )
    if "recommendations" in report:
        out += _heading("Recommendations")
        out += [Paragraph(r, _style()) for r in report["recommendations"] or ["All targets met."]]
    q = report["quality"]
    out += _heading("Data quality")
    out.append(
        _table(
            [
                ["Days", "Days without logs", "Logs", "Text/Image/Voice/Unknown %", "Verified %"],
                [
                    q["days"],
                    q["days_without_logs"],
                    q["logs"],
                    "/".join(
                        _fmt(q["by_source"][k]) for k in ("text", "image", "voice", "unknown")
                    ),
                    _fmt(q["verified"]),
                ],
            ]
        )
    )
    signature = Paragraph(
        "Reviewed by: ______________________  Date: ____________  Signature: "
        "______________________",
        _style(),
    )
    block = [*_heading("Review and signature"), Paragraph(DISCLAIMER, _style(8))]
    out.append(KeepTogether([*block, Spacer(1, 10 * mm), signature]))
    return out


def render(report: dict[str, Any]) -> bytes:
    """The PDF bytes."""
    _fonts()
    p = report["patient"]
    ident = ", ".join(list(dict.fromkeys(i["value"] for i in p["identifiers"]))[:2])
    top = f"{p['name']} · {p['sex']} · {_fmt(p['age'])} y · born {p['birthDate'] or '?'} · {ident}"
    period = f"Period {report['period']['start']} to {report['period']['end']}"

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, A4[1] - 10 * mm, top[:150])
        canvas.drawString(15 * mm, 8 * mm, f"{period} · generated {report['generated']}")
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        topMargin=16 * mm,
        bottomMargin=15 * mm,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        title="Clinical nutrition report",
        author="Nutri-Vision",
    )
    story: list[Flowable] = [
        Paragraph("Clinical nutrition report", _style(16, True)),
        Paragraph(f"{p['name']} — {period}", _style(10)),
    ]
    story += _clinical(report) + _nutrition(report) + _results(report)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
