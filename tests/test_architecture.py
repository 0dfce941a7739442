"""The shape of the code a maintainer relies on: no import circle among the project's modules, and
every process folder is a listed, complete package."""

from __future__ import annotations

from pathlib import Path

import grimp

import processes

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("engine", "forms", "api", "web", "processes")


def import_circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan's algorithm)."""
    order: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = lowest[module] = len(order)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in order:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in stack:
                lowest[module] = min(lowest[module], order[imported])
        if lowest[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return circles


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph(*PROJECT_PACKAGES)

    assert len(graph.modules) > 100  # the graph really holds the project
    assert import_circles(graph) == []


def test_the_circle_finder_finds_a_circle():
    graph = grimp.ImportGraph()
    for module in ("a", "a.one", "a.two", "a.three"):
        graph.add_module(module)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.one")
    graph.add_import(importer="a.three", imported="a.one")

    assert import_circles(graph) == [["a.one", "a.two"]]


def test_every_process_folder_is_a_listed_package_with_what_defines_it():
    folders = sorted(path.parent for path in (ROOT / "processes").glob("*/__init__.py"))

    assert sorted(processes.package_folders()) == folders
    for folder in folders:
        assert (folder / f"{folder.name}.bpmn").is_file(), folder.name
        assert (folder / "scenarios.json").is_file(), folder.name
        assert list((folder / "forms").glob("*.json")), folder.name
