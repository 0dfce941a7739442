"""Compile-time policy: which Python a BPMN script or expression may contain, and the rewrites that
put every loop, call, attribute read and size-sensitive operator under a runtime guard."""

from __future__ import annotations

import ast
import re
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType
from typing import Literal

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython._types import T_pos_ast
from RestrictedPython.transformer import IOPERATOR_TO_STR, copy_locations

from engine.scripting.restricted_names import BLOCKED_ATTRIBUTES
from engine.scripting.violations import bilingual

Mode = Literal["exec", "eval"]

SCRIPT_FILENAME = "<script>"  # marks the script's own frames in tracebacks
COMPILE_CACHE_SIZE = 2048

# Refused as calls only: a form field may well be called `type` or `input` and read in a condition.
FORBIDDEN_CALLS = frozenset(
    {
        "open",
        "eval",
        "exec",
        "compile",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "dir",
        "type",
        "input",
        "breakpoint",
        "help",
        "memoryview",
        "object",
        "super",
        "exit",
        "quit",
    }
)

_GUARDED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}
_PROBLEM = re.compile(r"^Line (\d+|None): (.*)$", re.DOTALL)
_MAX_PROBLEMS_SHOWN = 3

# catch_warnings swaps process-wide state; two threads compiling at once must not interleave it.
_warnings_lock = threading.Lock()


@dataclass(frozen=True)
class CompiledScript:
    code: CodeType | None
    problem: str | None


def check_script(source: str, mode: Mode) -> str | None:
    """Compile with the sandbox's policy; return a user-facing error message, or None if acceptable."""
    return compile_script(source, mode).problem


@lru_cache(maxsize=COMPILE_CACHE_SIZE)
def compile_script(source: str, mode: Mode) -> CompiledScript:
    if not isinstance(source, str):
        return CompiledScript(None, bilingual("脚本必须是文本", "a script must be text"))
    # eval() strips surrounding blanks itself; expressions come indented out of BPMN XML.
    text = source.strip() if mode == "eval" else source
    multiline = "\n" in text.strip()
    compile_restricted = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    with _warnings_lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(text, SCRIPT_FILENAME, "eval") if mode == "eval" else ast.parse(text, SCRIPT_FILENAME, "exec")
            result = compile_restricted(tree, SCRIPT_FILENAME, policy=SandboxPolicy)
        except (SyntaxError, ValueError) as error:
            return CompiledScript(None, _syntax_problem(error, multiline))
        except RecursionError:
            return CompiledScript(None, bilingual("脚本嵌套过深", "script is nested too deeply"))
    if result.errors:
        return CompiledScript(None, _describe_problems(result.errors, multiline))
    return CompiledScript(result.code, None)


def _syntax_problem(error: SyntaxError | ValueError, multiline: bool) -> str:
    detail = error.msg if isinstance(error, SyntaxError) else str(error)
    line = error.lineno if isinstance(error, SyntaxError) else None
    return _at_line(line, bilingual("脚本语法错误", "syntax error", detail), multiline)


def _describe_problems(errors: Sequence[str], multiline: bool) -> str:
    described = []
    for error in errors[:_MAX_PROBLEMS_SHOWN]:
        match = _PROBLEM.match(error)
        line = int(match.group(1)) if match and match.group(1) != "None" else None
        described.append(_at_line(line, match.group(2) if match else error, multiline))
    return "; ".join(described)


def _at_line(line: int | None, message: str, multiline: bool) -> str:
    return f"第 {line} 行 (line {line}): {message}" if multiline and line else message


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, with bilingual refusals and these additions: no import, no class,
    no dangerous builtin calls; a `_tick_()` deadline check in every loop body, comprehension step,
    function and lambda; `+ * ** << %`, f-strings and their format specs routed through size guards;
    `except` limited to Exception subclasses; `x[k] op= v` allowed through a write guard."""

    # RestrictedPython types every visit_* as NodeTransformer's `AST | Iterable[AST] | None`; the ones
    # called below give back an AST, the visited node itself where it is assigned (hence the ignores).

    def refuse(self, node: ast.AST, message: str) -> None:
        super().error(node, message)

    def error(self, node: ast.AST, info: str) -> None:
        self.refuse(node, bilingual("脚本包含不允许的写法", "construct not allowed in scripts", info))

    def check_name(self, node: T_pos_ast, name: str | None, allow_magic_methods: bool = False) -> None:
        if name is not None and name.startswith("_") and name != "_":
            self.refuse(node, bilingual("脚本不允许使用以下划线开头的名称", "names starting with '_' are not allowed in scripts", name))
        else:
            super().check_name(node, name, allow_magic_methods)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        # RestrictedPython reserves `print` for its own collector; here reading it is the scope's
        # script_output.script_print (what scripts print goes to the instance's log).
        if not (node.id == "print" and isinstance(node.ctx, ast.Load)):
            self.check_name(node, node.id)
        return node

    def visit_Import(self, node: ast.Import) -> ast.AST:
        return self._refuse_import(node, [alias.name for alias in node.names])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        return self._refuse_import(node, [node.module or "." * node.level])

    def _refuse_import(self, node: ast.stmt, modules: list[str]) -> ast.AST:
        self.refuse(node, bilingual("脚本不允许导入模块", "import is not allowed in scripts", ", ".join(modules)))
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.refuse(node, bilingual("脚本不允许定义类", "class definitions are not allowed in scripts"))
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not (node.attr.startswith("_") or node.attr in BLOCKED_ATTRIBUTES):
            return super().visit_Attribute(node)  # type: ignore[return-value]
        self.node_contents_visit(node)  # report inner problems first, in reading order
        if node.attr.startswith("_"):
            message = bilingual("脚本不允许访问以下划线开头的属性", "attributes starting with '_' are not allowed in scripts", node.attr)
        elif node.attr in ("format", "format_map"):
            message = bilingual("脚本不允许使用 str.format，请改用 f-string", "str.format is not allowed; use an f-string")
        else:
            message = bilingual("脚本不允许访问该属性", "attribute not allowed in scripts", node.attr)
        self.refuse(node, message)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            name = node.func.id
            self.refuse(node, bilingual(f"脚本不允许调用 {name}()", f"{name}() is not allowed in scripts"))
            return node
        return super().visit_Call(node)  # type: ignore[return-value]

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        call = _call(guard, node.left, node.right)
        copy_locations(call, node)
        return call

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        if not isinstance(node.target, ast.Subscript):
            return super().visit_AugAssign(node)  # type: ignore[return-value]
        target = node.target
        container, key, value = self.visit(target.value), self.visit(target.slice), self.visit(node.value)
        call = _call("_inplaceitem_", container, key, ast.Constant(IOPERATOR_TO_STR[type(node.op)]), value)
        statement = ast.Expr(call)
        copy_locations(statement, node)
        return statement

    def visit_While(self, node: ast.While) -> ast.AST:
        node = super().visit_While(node)  # type: ignore[assignment]
        node.body.insert(0, self._tick_statement(node))
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        node = super().visit_For(node)  # type: ignore[assignment]
        node.body.insert(0, self._tick_statement(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = super().visit_FunctionDef(node)  # type: ignore[assignment]
        node.body.insert(0, self._tick_statement(node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)  # type: ignore[assignment]
        node.body = ast.BoolOp(op=ast.And(), values=[_call("_tick_"), node.body])
        copy_locations(node.body, node)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        node = super().visit_comprehension(node)  # type: ignore[assignment]
        tick = _call("_tick_")
        copy_locations(tick, node.iter)
        node.ifs.insert(0, tick)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        node = super().visit_ExceptHandler(node)  # type: ignore[assignment]
        node.type = _call("_catchable_", node.type or ast.Name("Exception", ast.Load()))
        copy_locations(node.type, node)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = super().visit_FormattedValue(node)  # type: ignore[assignment]
        if node.format_spec is None:
            return node
        node.value = _call("_format_", node.value, ast.Constant(node.conversion), node.format_spec)
        copy_locations(node.value, node)
        node.conversion = -1
        node.format_spec = None
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        node = super().visit_JoinedStr(node)  # type: ignore[assignment]
        if sum(isinstance(part, ast.FormattedValue) for part in node.values) < 2:
            return node
        call = _call("_text_", node)
        copy_locations(call, node)
        return call

    @staticmethod
    def _tick_statement(location: ast.stmt) -> ast.stmt:
        statement = ast.Expr(_call("_tick_"))
        copy_locations(statement, location)
        return statement
