"""The architecture holds: no import circle (imports inside functions counted), no hidden late import, and the
rule from FTE to places in one home.

The layering itself (kernel <- chain <- actors <- scenarios <- config <- run <- analysis <- report <- commands) is
import-linter's contract in pyproject.toml, checked by ``make lint`` before the tests run. What import-linter does
not see is checked here: an import made inside a function still ties two modules together, and a multiplication
by ``productive_share`` written anywhere but ``sim/chain/model.py`` is a second copy of the places rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SIM.rglob("*.py")}


def _imported(module: str, node: ast.AST) -> set[str]:
    """The sim modules an import statement names (``from sim.x import y`` names sim.x and, if a module, sim.x.y)."""
    names: set[str] = set()
    if isinstance(node, ast.Import):
        names = {a.name for a in node.names}
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        names = {base} | {f"{base}.{a.name}" for a in node.names}
    return {n for n in names if n in MODULES}


def _graph() -> dict[str, set[str]]:
    return {m: {t for node in ast.walk(ast.parse(p.read_text())) for t in _imported(m, node)} - {m}
            for m, p in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_counting_imports_inside_functions():
    graph = _graph()
    assert len(graph) > 60 and graph["sim.config.gate"]  # the walk sees the package
    assert _cycles(graph) == []


def test_an_import_inside_a_function_says_why():
    """An import inside a function hides a dependency from the reader and from import-linter's picture at a glance:
    it is allowed only with a comment on its line saying why it cannot be at the top (e.g. a heavy optional
    library)."""
    silent = []
    for module, path in MODULES.items():
        lines = path.read_text().splitlines()
        for fn in ast.walk(ast.parse(path.read_text())):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and _imported(module, node) \
                            and "#" not in lines[node.lineno - 1]:
                        silent.append(f"{path.relative_to(SIM.parent)}:{node.lineno}")
    assert not silent, "imports of sim inside a function without a comment saying why: " + ", ".join(silent)


def test_the_rule_from_fte_to_places_has_one_home():
    """FTE x productive share x (1 - vacancy rate) is written once (sim.chain.model.present_fte); every actor, twin
    and the calibration asks it, so the simulation and its analytic twins round to the same places."""
    copies = []
    for path in [*SIM.rglob("*.py"), *(SIM.parent / "experiments").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                names = {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", None)
                         for n in (node.left, node.right)}
                if "productive_share" in names:  # (staff dynamics count vacancies in post themselves)
                    copies.append(f"{path.relative_to(SIM.parent)}:{node.lineno}")
    assert copies and all(c.startswith("sim/chain/model.py:") for c in copies), copies


def test_actors_are_wired_by_the_workflow_not_looked_up_by_name():
    """An actor that needs another's decision gets it from the workflow that composes them (``GI(wf,
    extends=court.verlenging)``), never by looking the other up (``self.wf.actors["kinderrechter"]``)."""
    lookups = [f"{p.name}:{n.lineno}" for p in (SIM / "actors").glob("*.py")
               for n in ast.walk(ast.parse(p.read_text()))
               if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute) and n.value.attr == "actors"]
    assert not lookups, lookups


def test_no_pool_outside_the_kernel_touches_its_private_counters():
    """Pools whose line is kept elsewhere (the experts') use the engine's public join_elsewhere/grant_elsewhere."""
    touched = [f"{p.relative_to(SIM.parent)}:{n.lineno}" for p in SIM.rglob("*.py") if "kernel" not in p.parts
               for n in ast.walk(ast.parse(p.read_text()))
               if isinstance(n, ast.Attribute) and n.attr.startswith("_bucket")]
    assert not touched, touched
