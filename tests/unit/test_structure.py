"""The shape of app/ as DESIGN §10 draws it, read from the source with `ast` (nothing is imported).

- app/core (with app/extensions.py and app/config.py, the ground floor) imports no area;
- the module-level imports of app/ form no circle, and no import inside a function hides one;
- the areas depend one way: accounts and communities stand on core; proposals and meetings on
  them; votes on meetings; matters on meetings, votes and proposals; the notice board on all of
  these, and the API on everything. Nothing below imports what stands above it.
"""
import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

# Accounts (auth) and communities are one floor: a user belongs to communities, and a community's
# pages list its users. Each may import the other module by module (the circle check still holds).
FLOOR = {"core", "auth", "community"}
MAY_IMPORT = {
    "core": {"core"},
    "auth": FLOOR,
    "community": FLOOR,
    "proposals": FLOOR | {"proposals"},
    "meetings": FLOOR | {"meetings"},
    "votes": FLOOR | {"meetings", "votes"},
    "matters": FLOOR | {"meetings", "votes", "proposals", "matters"},
    "microprojects": FLOOR | {"meetings", "votes", "proposals", "matters", "microprojects"},
    "notice": FLOOR | {"meetings", "votes", "proposals", "matters", "microprojects", "notice"},
}
MAY_IMPORT["api"] = MAY_IMPORT["notice"] | {"api"}
GROUND_MODULES = {"app.extensions", "app.config"}   # part of the ground floor, beside app/core

# Imports inside a function that an import at the top would turn into a circle: each one is a
# debt, listed with its reason, (importer, imported).
CIRCLE_DODGES = {
    # meetings/operations.py is being split (issue 18, point 3); minutes.py reads the meeting
    # through operations, and operations drafts the minutes when a meeting ends.
    ("app.meetings.operations", "app.meetings.minutes"),
}


def _modules():
    found = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name):
    """The module of app/ that `name` (a module, or a module's attribute) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module, path):
    """([imported modules at import time], [(imported module, line) inside functions])."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    at_top, in_functions = set(), []

    def targets(node):
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        if node.level:
            parent = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parent + ([base] if base else []))
        return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names]

    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for name in targets(child):
                    target = _resolve(name) if name.split(".")[0] == "app" else None
                    if target and target != module:
                        if in_function:
                            in_functions.append((target, child.lineno))
                        else:
                            at_top.add(target)
            walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                          ast.Lambda)))

    walk(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return at_top, in_functions


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _area(module):
    if module in GROUND_MODULES:
        return "core"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in MAY_IMPORT else None


def _every_import():
    for module, (at_top, in_functions) in GRAPH.items():
        for target in at_top:
            yield module, target, "at the top"
        for target, line in in_functions:
            yield module, target, f"line {line}, in a function"


def _path(start, goal):
    """A chain of module-level imports from start to goal, or None."""
    trail, seen = {start: None}, [start]
    while seen:
        module = seen.pop()
        if module == goal:
            chain = []
            while module is not None:
                chain.append(module)
                module = trail[module]
            return chain[::-1]
        for target in GRAPH.get(module, (set(), []))[0]:
            if target not in trail:
                trail[target] = module
                seen.append(target)
    return None


def test_the_source_is_read():
    assert "app.core.db" in MODULES and "app.notice.index" in MODULES
    assert "app.extensions" in GRAPH["app.core.db"][0]


def test_core_imports_no_area():
    upward = [f"{module} -> {target} ({where})" for module, target, where in _every_import()
              if _area(module) == "core" and _area(target) != "core"]
    assert not upward, "app/core stands below every area:\n" + "\n".join(sorted(upward))


def test_no_import_circle():
    circles = []
    for module, (at_top, _) in GRAPH.items():
        for target in at_top:
            back = _path(target, module)
            if back:
                circles.append(" -> ".join([module] + back))
    assert not circles, "circles of module-level imports:\n" + "\n".join(sorted(circles))


def test_no_import_in_a_function_hides_a_circle():
    hidden = []
    for module, (_, in_functions) in GRAPH.items():
        for target, line in in_functions:
            back = _path(target, module)
            if back and (module, target) not in CIRCLE_DODGES:
                hidden.append(f"{module} line {line}: " + " -> ".join([module] + back))
    assert not hidden, ("an import inside a function dodges a circle; move the code to where it "
                        "belongs (or send a signal):\n" + "\n".join(sorted(hidden)))


def test_areas_depend_one_way():
    upward = []
    for module, target, where in _every_import():
        mine, theirs = _area(module), _area(target)
        if mine is not None and theirs is not None and theirs not in MAY_IMPORT[mine]:
            upward.append(f"{module} ({mine}) -> {target} ({theirs}), {where}")
    assert not upward, "imports against DESIGN §10's direction:\n" + "\n".join(sorted(upward))


def test_every_area_module_is_placed():
    # A new package under app/ must be given its floor here before it can import anything.
    packages = {path.parent.name for path in APP.glob("*/__init__.py")}
    assert packages <= set(MAY_IMPORT), packages - set(MAY_IMPORT)
