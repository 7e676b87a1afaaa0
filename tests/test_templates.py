"""The report's HTML comes from Jinja2 templates with autoescaping (sim/report/page.py, issue 19).

A text that looks like markup (a value in the configuration, a note in an assumption, a KPI name) arrives on the
page as text, never as markup; the exact value of every number cell survives the template; and no HTML is built
in Python strings any more (the two report modules hold no tag literals)."""

from __future__ import annotations

import re

import pandas as pd
from conftest import ROOT

from sim.report import html as report_html
from sim.report import page


def test_text_that_looks_like_markup_is_escaped() -> None:
    df = pd.DataFrame({"parameter": ["<script>alert(1)</script>"], "value": ['"quoted" & <b>bold</b>']})
    out = report_html._plain_table(df, [("parameter", "Parameter"), ("value", "<i>Value</i>")])
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;b&gt;bold&lt;/b&gt;" in out and "&amp;" in out and "&lt;i&gt;Value&lt;/i&gt;" in out


def test_number_cells_keep_the_exact_value_and_escape_the_kpi() -> None:
    summary = pd.DataFrame({"kpi": ['x"<y>'], "unit": ["days"], "mean": [0.1 + 0.2], "ci_low": [0.25],
                            "ci_high": [1 / 3], "n_replications": [10]})
    out = report_html.kpi_table(summary, "en", None, table_id="t")
    values = [float(v) for v in re.findall(r'data-value="([^"]+)"', out)]
    assert values == [0.1 + 0.2, 0.25, 1 / 3]  # repr round-trips: digit for digit
    assert 'data-kpi="x&#34;&lt;y&gt;"' in out and '<y>' not in out


def test_the_report_modules_build_no_html_in_python_strings() -> None:
    for path in (ROOT / "sim/report/html.py", ROOT / "sim/report/uncertainty.py"):
        code = path.read_text(encoding="utf-8")
        assert not re.findall(r"""["']<(?:/?(?:td|tr|th|table|div|p|h[1-6]|ul|li|figure|img|details|html|body))\b""",
                              code), path
    assert page.environment().autoescape is True
