"""The report's HTML comes from Jinja2 templates (``sim/report/templates/``), autoescaped (issue 19): the Python
side (sim/report/html.py, sim/report/uncertainty.py) builds the rows and texts, the templates lay them out, and no
text reaches the page unescaped. A template's variable that is not given is an error, never an empty cell."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **context: Any) -> str:
    """The whole template ``template`` (a file of sim/report/templates/) with ``context``."""
    return environment().get_template(template).render(**context)


def macro(name: str, *args: Any) -> Markup:
    """One macro of ``tables.html.j2`` (a table, a figure) rendered on its own: safe markup to place in a page."""
    return Markup(getattr(environment().get_template("tables.html.j2").module, name)(*args))
