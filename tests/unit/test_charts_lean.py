"""charts.lean_svg: matplotlib's SVG made cheaper for WeasyPrint draws the same thing.

The check follows the rules of WeasyPrint's SVG renderer (weasyprint/svg/__init__.py, ``Node.cascade``), with
its own list of attributes that do not inherit and its own style parser: a child takes every parent attribute
not in that list, then the stylesheet's rules, then its own ``style`` declarations.  Every drawn element
(path, text, use, ...) must end with the same effective attributes, in the same order, with the same text,
before and after.
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from weasyprint.svg import NOT_INHERITED_ATTRIBUTES
from weasyprint.svg.css import parse_declarations

from orchestration.reports.charts import (
    EacPoint,
    ExposurePoint,
    IndexPoint,
    SCurvePoint,
    eac_trend_svg,
    exposure_trend_svg,
    index_trend_svg,
    lean_svg,
    s_curve_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
DRAWN = {"path", "text", "use", "rect", "line", "polyline", "polygon", "circle", "ellipse", "image"}
ROTATE_ZERO = re.compile(r"rotate\(-?0 [^)]*\)")


def _declarations(text: str) -> dict[str, str]:
    """A style's declarations as WeasyPrint's SVG renderer reads them (its own parser: the oracle is
    WeasyPrint, not a copy of charts' reading)."""
    normal, important = parse_declarations(text)
    return dict(normal + important)


def _star_rule(root: ET.Element) -> dict[str, str]:
    rule: dict[str, str] = {}
    for sheet in root.iter(f"{SVG}style"):
        body = re.fullmatch(r"\s*\*\s*\{(.*)\}\s*", sheet.text or "", re.S)
        assert body, f"a stylesheet this check does not model: {sheet.text!r}"
        rule.update(_declarations(body.group(1)))
    return rule


def drawn(svg: str) -> list[tuple[str, str, dict[str, str]]]:
    """(tag, text, effective attributes) of every drawn element, in document order; a rotation by zero
    degrees counts as no transform."""
    root = ET.fromstring(svg)
    rule = _star_rule(root)
    out: list[tuple[str, str, dict[str, str]]] = []

    def walk(element: ET.Element, inherited: dict[str, str]) -> None:
        effective = {k: v for k, v in inherited.items() if k not in NOT_INHERITED_ATTRIBUTES}
        effective.update(element.attrib)
        effective.update(rule)
        effective.update(_declarations(element.get("style", "")))
        effective.pop("style", None)
        if ROTATE_ZERO.fullmatch(effective.get("transform", "")):
            del effective["transform"]
        tag = element.tag.removeprefix(SVG)
        if tag in DRAWN:
            out.append((tag, (element.text or "").strip(), effective))
        for child in element:
            walk(child, effective)

    walk(root, {})
    return out


def _s_curve() -> str:
    points = [SCurvePoint(f"2026-{m:02d}", 100.0 * m, 90.0 * m, 95.0 * m, 1_500.0) for m in range(1, 13)]
    return s_curve_svg(points, "GBP", width_in=7.2, height_in=2.7, max_ticks=7, legend_columns=2, font_size=8)


def _raw(chart, monkeypatch) -> str:
    """The chart as matplotlib wrote it: charts._figure_svg with lean_svg switched off."""
    from orchestration.reports import charts

    with monkeypatch.context() as patched:
        patched.setattr(charts, "lean_svg", lambda svg: svg)
        return chart()


CHARTS = {
    "s_curve": _s_curve,
    "index_trend": lambda: index_trend_svg(
        [IndexPoint(f"2026-{m:02d}", 0.9 + m / 100, None if m == 4 else 1.1 - m / 100) for m in range(1, 10)],
        thresholds=[(0.9, "red below 0.90"), (0.95, "amber below 0.95")]),
    "eac_trend": lambda: eac_trend_svg(
        [EacPoint(f"2026-{m:02d}", 1_000.0 + m, 950.0, 1_100.0 + m, 1_000.0) for m in range(1, 8)], "EUR"),
    "exposure_trend": lambda: exposure_trend_svg(
        [ExposurePoint(f"2026-{m:02d}", 5_000.0 * m, m + 2) for m in range(1, 8)], "USD"),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_drawn_element_keeps_its_effective_attributes(name, monkeypatch):
    raw = _raw(CHARTS[name], monkeypatch)
    lean = CHARTS[name]()
    assert raw != lean
    before, after = drawn(raw), drawn(lean)
    assert len(before) > 20
    assert after == before


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_the_lean_chart_has_no_styles_metadata_or_bare_groups(name, monkeypatch):
    lean = CHARTS[name]()
    root = ET.fromstring(lean)
    assert root.get("stroke-linejoin") == "round" and root.get("stroke-linecap") == "butt"
    assert not [el for el in root.iter() if "style" in el.attrib]
    assert root.find(f"{SVG}metadata") is None and not list(root.iter(f"{SVG}style"))
    assert not [g for g in root.iter(f"{SVG}g") if set(g.attrib) <= {"id"}]
    assert "rotate(-0 " not in lean
    # every reference still resolves: tick markers (use) and the axes' clip paths
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', lean))
    assert refs and refs <= ids
    # the lean chart is much smaller than matplotlib's
    assert len(lean) < 0.8 * len(_raw(CHARTS[name], monkeypatch))


def test_an_svg_it_does_not_model_is_returned_unchanged():
    other_rule = ('<svg xmlns="http://www.w3.org/2000/svg"><defs><style>path{stroke: red}</style></defs>'
                  '<g><path style="fill: blue" d="M 0 0 L 1 1"/></g></svg>')
    assert lean_svg(other_rule) == other_rule
    rule_property_as_attribute = ('<svg xmlns="http://www.w3.org/2000/svg"><defs><style>*{stroke-linecap: butt}'
                                  '</style></defs><path stroke-linecap="round" d="M 0 0 L 1 1"/></svg>')
    assert lean_svg(rule_property_as_attribute) == rule_property_as_attribute
    rule_outside_defs = ('<svg xmlns="http://www.w3.org/2000/svg"><style>path{stroke: red}</style>'
                         '<path style="stroke: blue" d="M 0 0 L 1 1"/></svg>')
    assert lean_svg(rule_outside_defs) == rule_outside_defs
    important = '<svg xmlns="http://www.w3.org/2000/svg"><path style="fill: blue !important" d="M 0 0"/></svg>'
    assert lean_svg(important) == important
    assert lean_svg("<svg") == "<svg"


def test_a_referenced_group_is_kept_and_a_rotation_kept_unless_zero():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
           '<defs><g id="shape"><path d="M 0 0 L 1 1"/></g></defs><use xlink:href="#shape"/>'
           '<g id="plain"><text transform="rotate(-0 5 5)" x="5" y="5">a</text>'
           '<text transform="rotate(-90 5 5)" x="5" y="5">b</text></g></svg>')
    root = ET.fromstring(lean_svg(svg))
    assert [g.get("id") for g in root.iter(f"{SVG}g")] == ["shape"]
    texts = {t.text: t.get("transform") for t in root.iter(f"{SVG}text")}
    assert texts == {"a": None, "b": "rotate(-90 5 5)"}


def test_weasyprint_draws_the_lean_chart_as_the_same_text(monkeypatch):
    """The labels WeasyPrint writes into the PDF are the same, in the same order."""
    from pypdf import PdfReader

    from orchestration.reports.charts import svg_data_uri
    from orchestration.reports.render import html_document

    def pdf_text(svg: str) -> str:
        buf = io.BytesIO()
        html_document(f'<html><body><img src="{svg_data_uri(svg)}" style="width: 7in"></body></html>').write_pdf(buf)
        return PdfReader(io.BytesIO(buf.getvalue())).pages[0].extract_text()

    raw, lean = _raw(_s_curve, monkeypatch), _s_curve()
    text = pdf_text(lean)
    assert "PV (planned value)" in text and "2026-12" in text and "1,500" in text
    assert text == pdf_text(raw)


def test_the_svg_prefix_survives_another_default_namespace():
    """ElementTree's prefixes are global: code that registers another default namespace (a library reading
    its own XML) must not turn the chart into <ns0:svg>, which WeasyPrint would not draw."""
    ET.register_namespace("", "http://example.com/another")
    try:
        lean = _s_curve()
    finally:
        ET.register_namespace("", SVG[1:-1])
    assert lean.startswith("<svg ") and "ns0:" not in lean
