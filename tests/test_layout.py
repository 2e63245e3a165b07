"""The shape of the code: `core` imports no app, and no two modules import each other.

Read from the source with `ast` (every import, at the top of a module or inside a
function), so an import hidden in a function counts as much as one at the top."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["core", "kbsite", "policies", "industry", "bench"]
APPS = {"policies", "industry"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules that a module imports (`from a.b import c` counts as a.b.c when
    that is a module, else as a.b)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            # The longest project module the name starts with.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph = {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}
    # Importing a.b runs a/__init__.py too, but that is not a dependency on its content.
    return graph


def test_core_imports_no_app():
    for name, imported in import_graph().items():
        if name.split(".")[0] == "core":
            assert not {m for m in imported if m.split(".")[0] in APPS | {"kbsite", "bench"}}, name


def test_the_apps_do_not_import_the_project_package():
    for name, imported in import_graph().items():
        if name.split(".")[0] in APPS:
            assert not {m for m in imported if m.split(".")[0] in {"kbsite", "bench"}}, name


def test_no_two_modules_import_each_other():
    """No cycle of any length (Tarjan's strongly connected components)."""
    graph = import_graph()
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_checker_sees_an_import_inside_a_function(tmp_path):
    """The checks above would miss nothing that a function-level import hides."""
    module = tmp_path / "example.py"
    module.write_text("def f():\n    from policies.models import Measure\n", encoding="utf-8")
    assert imports_of(module, {"policies", "policies.models"}) == {"policies.models"}
