"""Hand-built figures for the dashboard's tests: what the page, its charts and its downloads must show
whatever computes them (reporting/indicators.py has its own tests against hand calculations)."""

import html
import io
import re
import zipfile
from dataclasses import replace
from xml.etree import ElementTree

import pytest

from reporting.indicators import Figures, Filters, Rates, Row, StageFigure


def hand_figures(filters: Filters) -> Figures:
    """A period with 120 complaints filed; numbers chosen so that each one appears once on the page."""
    return Figures(
        filters=filters,
        filed=1234,
        admitted=1100,
        rejected=37,
        closed=801,
        with_outcome=640,
        by_state=[("submitted", "Submitted", 97), ("complied", "Agreement complied with", 212)],
        stages=[
            StageFigure("admission", "Filing to admission", 1100, 3.0, 7.0, 5, 0.8125),
            StageFigure("service", "Admission to service on the company", 950, 2.5, 6.0, 5, 0.9),
            StageFigure("compliance", "Agreement to compliance", 0, None, None, 30, None),
        ],
        rates=Rates(
            agreement_offer=0.125,
            agreement_hearing=0.3375,
            agreement=0.4625,
            compliance=0.875,
            referral=0.2,
            withdrawal=0.0625,
            answered=0.7,
            satisfaction=4.25,
            solved=0.6,
            would_return=0.9,
        ),
        hearings_held=511,
        consumer_absences=23,
        company_absences=41,
        adjournments=19,
        surveys_answered=333,
        by_conciliator=[
            Row("7", "Ana Rodríguez", 400, 300, 150, 0.5, 280, 21.0),
            Row("8", "=Beto Pérez", 10, 4, 1, 0.25, 3, None),
        ],
        by_channel=[Row("web", "Web", 1000, 600, 290, 290 / 600, 480, 19.5)],
        trend=[
            Row("2026-04", "2026-04", 600, 320, 150, 150 / 320, 250, 20.0),
            Row("2026-05", "2026-05", 634, 320, 146, 146 / 320, 261, 22.0),
        ],
        admission_backlog=97,
        deadlines_overdue=12,
        deadlines_due_soon=5,
    )


def fake_figures(monkeypatch: pytest.MonkeyPatch) -> list[Filters]:
    """The dashboard reads hand-built figures; the list returned collects the filters it asked for."""
    asked: list[Filters] = []

    def fake(filters: Filters) -> Figures:
        asked.append(filters)
        return hand_figures(filters)

    monkeypatch.setattr("reporting.indicators.figures", fake)
    return asked


def empty_figures(filters: Filters) -> Figures:
    return replace(hand_figures(filters), by_state=[], stages=[], by_conciliator=[], by_channel=[], trend=[], filed=0)


def table_of(page: str, slug: str) -> list[list[str]]:
    """The rows (header first) of the page's table `table-<slug>`, as the reader sees each cell."""
    match = re.search(rf'<table[^>]*id="table-{slug}".*?</table>', page, re.S)
    assert match, f"no table {slug} on the page"
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", match.group(0), re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).replace("\u00a0", " ").strip() for c in cells])
    return rows


def as_number(shown: str, *, spanish: bool = False) -> float | None:
    """A figure as printed ("1.234" and "45,3 %" in Spanish, "1,234" and "45.3 %" in English) back to
    a number; a rate comes back as a share (0.453). None for "—" or an empty cell."""
    shown = shown.replace("\u00a0", " ").strip()
    if shown in ("", "—"):
        return None
    percent = shown.endswith("%")
    shown = shown.rstrip("%").strip()
    group, decimal = (".", ",") if spanish else (",", ".")
    value = float(shown.replace(group, "").replace(decimal, "."))
    return value / 100 if percent else value


# --- Reading an XLSX without a spreadsheet library: the sheets' XML inside the zip ------------------

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _column_index(ref: str) -> int:
    """B7 → 1: the column of a cell reference, from 0."""
    index = 0
    for letter in re.sub(r"\d", "", ref):
        index = index * 26 + ord(letter) - 64
    return index - 1


def _attribute(element: ElementTree.Element, name: str) -> str:
    value = element.get(name)
    assert value is not None, f"<{element.tag}> without {name}"
    return value


def _text(element: ElementTree.Element | None) -> str:
    assert element is not None and element.text is not None
    return element.text


def xlsx_sheets(content: bytes) -> dict[str, list[list[object]]]:
    """{sheet name: rows}, each row a list of cells: str for text, float for numbers, None for empty."""
    book = zipfile.ZipFile(io.BytesIO(content))
    shared = []
    if "xl/sharedStrings.xml" in book.namelist():
        root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
        shared = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t")) for si in root.findall("m:si", _NS)]
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {_attribute(rel, "Id"): _attribute(rel, "Target") for rel in rels.findall("rel:Relationship", _NS)}
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheets: dict[str, list[list[object]]] = {}
    for sheet in workbook.findall("m:sheets/m:sheet", _NS):
        target = targets[_attribute(sheet, f"{{{_NS['r']}}}id")]
        root = ElementTree.fromstring(book.read("xl/" + target.lstrip("/").removeprefix("xl/")))
        rows: list[list[object]] = []
        for row in root.iter(f"{{{_NS['m']}}}row"):
            number = int(_attribute(row, "r")) - 1
            while len(rows) <= number:
                rows.append([])
            cells = rows[number]
            for cell in row.findall("m:c", _NS):
                column = _column_index(_attribute(cell, "r"))
                while len(cells) <= column:
                    cells.append(None)
                kind, value = cell.get("t"), cell.find("m:v", _NS)
                if kind == "s":
                    cells[column] = shared[int(_text(value))]
                elif kind == "inlineStr":
                    cells[column] = "".join(t.text or "" for t in cell.iter(f"{{{_NS['m']}}}t"))
                elif value is not None:
                    cells[column] = float(_text(value))
        sheets[_attribute(sheet, "name")] = rows
    return sheets


def table_in_sheet(rows: list[list[object]], first_heading: str) -> list[list[object]]:
    """The table of a sheet (header first): the rows from the one that starts with `first_heading`."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_heading)
    return [row for row in rows[start:] if row]


def realistic_figures(filters: Filters, *, conciliators: int = 30, channels: int = 5, months: int = 24) -> Figures:
    """Figures the size of a national office's year or two (about a million complaints): the many rows
    of the breakdowns are what the page's rendering time grows with."""

    def row(key: str, label: str, filed: int, n: int) -> Row:
        outcome = filed * 6 // 10
        agreements = outcome * (40 + n % 20) // 100
        return Row(key, label, filed, outcome, agreements, agreements / outcome, outcome * 8 // 10, 18.5 + n % 7)

    index = filters.start.year * 12 + filters.start.month - 1
    keys = [f"{(index + i) // 12}-{(index + i) % 12 + 1:02d}" for i in range(months)]
    base = hand_figures(filters)
    return replace(
        base,
        filed=1_048_576,
        by_state=[(f"state{i}", f"State number {i} of the case", 1_000 * (i + 1) ** 2) for i in range(15)],
        stages=[
            StageFigure(
                f"s{i}", f"Stage {i} of the case's life", 600_000 - i * 50_000, 3.0 + i, 7.5 + 2 * i, 5 + 5 * i, 0.8
            )
            for i in range(6)
        ],
        by_conciliator=[row(str(i), f"Conciliator number {i}", 9_000 + 137 * i, i) for i in range(conciliators)],
        by_channel=[row(f"c{i}", f"Channel {i}", 600_000 // (i + 1), i) for i in range(channels)],
        trend=[row(key, key, 40_000 + 997 * i, i) for i, key in enumerate(keys)],
    )
