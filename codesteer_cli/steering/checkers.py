"""The two checkers the guide reads (SPEC §3): a static Symbolic Checker on the code and
a dynamic Self-answer Checker that has a model write and run code verifying the answer."""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from codesteer_cli.steering.code import extract_code

if TYPE_CHECKING:
    from codesteer_cli.models.base import ChatModel, Completion
    from codesteer_cli.sandbox.executor import ExecResult, Executor
    from codesteer_cli.steering.prompts import PromptSet

LOW_COMPLEXITY = 2.0
_SEARCH_MODULES = {"itertools", "functools", "heapq", "collections", "networkx", "queue"}
_SYMBOLIC_MODULES = {"sympy", "constraint", "z3", "ortools", "pulp", "cvxpy", "scipy"}
_NUMERIC_MODULES = {"math", "numpy", "fractions", "decimal", "statistics", "cmath"}
_SEARCH_CALLS = {"permutations", "combinations", "product", "combinations_with_replacement"}


@dataclass
class SymbolicReport:
    """What the Symbolic Checker found in one piece of code."""

    valid: bool
    searching: list[str] = field(default_factory=list)
    symbolic: list[str] = field(default_factory=list)
    numerical: list[str] = field(default_factory=list)
    complexity: float = 0.0
    loops: int = 0
    branches: int = 0
    try_excepts: int = 0
    binary_ops: int = 0
    literal_answer_only: bool = False

    @property
    def low_complexity(self) -> bool:
        return self.complexity < LOW_COMPLEXITY

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "low_complexity": self.low_complexity}

    def text(self) -> str:
        """The report as the guide reads it."""
        if not self.valid:
            return "Symbolic checker: Invalid Python code (it does not parse). Complexity score 0."
        parts = []
        for name, found in (
            ("searching", self.searching),
            ("symbolic computing", self.symbolic),
            ("numerical computing", self.numerical),
        ):
            if found:
                parts.append(f"{name} ({', '.join(sorted(set(found))[:6])})")
        uses = "; ".join(parts) if parts else "no searching, symbolic or numerical computing"
        lines = [
            f"Symbolic checker: the code uses {uses}.",
            f"Complexity score {self.complexity:g} (0.25 per binary operation, 1 per "
            f"loop, branch and try/except).",
        ]
        if self.low_complexity:
            lines.append(
                f"Warning: a score below {LOW_COMPLEXITY:g} suggests the code is too simple to "
                "compute the answer symbolically; it may only print an answer reasoned in text."
            )
        if self.literal_answer_only:
            lines.append("Warning: the code only prints literal values; it computes nothing.")
        return "\n".join(lines)


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.r = SymbolicReport(valid=True)
        self.calls: list[str] = []
        self.functions: set[str] = set()
        self.current_fn: list[str] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._module(node.module or "")
        for alias in node.names:
            if alias.name in _SEARCH_CALLS:
                self.r.searching.append(alias.name)

    def _module(self, name: str) -> None:
        top = name.split(".")[0]
        if top in _SEARCH_MODULES:
            self.r.searching.append(top)
        if top in _SYMBOLIC_MODULES:
            self.r.symbolic.append(top)
        if top in _NUMERIC_MODULES:
            self.r.numerical.append(top)

    def _loop(self, node: ast.AST, label: str) -> None:
        self.r.loops += 1
        self.r.searching.append(label)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self._loop(node, "for loop")

    visit_AsyncFor = visit_For  # noqa: N815

    def visit_While(self, node: ast.While) -> None:
        self._loop(node, "while loop")

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._loop(node, "comprehension")

    def visit_If(self, node: ast.If) -> None:
        self.r.branches += 1
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.r.branches += 1
        self.generic_visit(node)

    def visit_Match(self, node: ast.Match) -> None:
        self.r.branches += 1
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        self.r.try_excepts += 1 + len(node.handlers)
        self.generic_visit(node)

    visit_TryStar = visit_Try  # noqa: N815

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.r.binary_ops += 1
        self.r.numerical.append("arithmetic")
        if (
            isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
        ):
            self.r.symbolic.append("string formatting")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.r.binary_ops += 1
        self.r.numerical.append("arithmetic")
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if any(
            isinstance(v, ast.FormattedValue) and not isinstance(v.value, ast.Name)
            for v in node.values
        ):
            self.r.symbolic.append("string formatting")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.functions.add(node.name)
        self.current_fn.append(node.name)
        self.generic_visit(node)
        self.current_fn.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]  # noqa: N815

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node.func)
        self.calls.append(name)
        if name in ("eval", "exec"):
            self.r.symbolic.append(name)
        elif name == "format" and isinstance(node.func, ast.Attribute):
            self.r.symbolic.append("string formatting")
        elif name in _SEARCH_CALLS:
            self.r.searching.append(name)
        elif self.current_fn and name == self.current_fn[-1]:
            self.r.searching.append("recursion")
        self.generic_visit(node)


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _only_prints_literals(tree: ast.Module) -> bool:
    """True when the code just prints constants (or names bound to constants)."""
    consts: set[str] = set()
    printed = False
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and _is_literal(stmt.value):
            consts |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
        elif (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and _call_name(stmt.value.func) == "print"
        ):
            if not all(
                _is_literal(a) or (isinstance(a, ast.Name) and a.id in consts)
                for a in stmt.value.args
            ):
                return False
            printed = True
        else:
            return False
    return printed


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return isinstance(node, ast.JoinedStr) and all(
            isinstance(v, ast.Constant) for v in node.values
        )
    return True


def symbolic_check(code: str) -> SymbolicReport:
    """Static analysis of the code's approach and complexity (SPEC §3)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return SymbolicReport(valid=False)
    v = _Visitor()
    v.visit(tree)
    r = v.r
    r.complexity = 0.25 * r.binary_ops + r.loops + r.branches + r.try_excepts
    r.literal_answer_only = _only_prints_literals(tree)
    return r


# --- Self-answer Checker ------------------------------------------------------------
@dataclass
class SelfCheck:
    """The Self-answer Checker's outcome for one answer."""

    verdict: str  # what the guide reads
    correct: bool | None  # True: printed "Correct"; False: a reason; None: no verdict
    code: str | None = None
    run: ExecResult | None = None
    completions: list[Completion] = field(default_factory=list)
    requests: list[list[dict[str, str]]] = field(default_factory=list)  # per completion
    attempts: int = 0


def self_answer_check(
    model: ChatModel,
    question: str,
    answer: str,
    executor: Executor,
    *,
    max_attempts: int = 2,
    max_tokens: int = 1024,
    repeat: int = 0,
    prompts: PromptSet | None = None,
) -> SelfCheck:
    """Ask `model` for code that checks `answer` against `question`, run it, read the
    verdict. Retries (bounded) when no code comes back or the code fails."""
    from codesteer_cli.steering.prompts import get_prompts

    p = prompts or get_prompts()
    messages = [{"role": "user", "content": p.self_check.format(question=question, answer=answer)}]
    result = SelfCheck("Self-answer checker: no verdict.", None)
    for attempt in range(max_attempts):
        result.attempts = attempt + 1
        comp = model.complete(messages, max_tokens=max_tokens, repeat=repeat)
        result.completions.append(comp)
        result.requests.append(messages)
        if not comp.ok:
            result.verdict = f"Self-answer checker: the checking model failed ({comp.error})."
            return result
        code = extract_code(comp.text)
        if code is None:
            problem = "no ```python code block came back"
        else:
            run = executor.run(code)
            result.code, result.run = code, run
            out = run.stdout.strip()
            if run.ok and out:
                ok = out.splitlines()[-1].strip().lower().startswith("correct")
                result.correct = ok
                shown = out if len(out) <= 1500 else out[:1500] + " …"
                result.verdict = (
                    "Self-answer checker: "
                    + ("the answer checks out: " if ok else "the check failed: ")
                    + shown
                )
                return result
            problem = (
                "the checking code timed out"
                if run.timed_out
                else f"the checking code failed: {run.stderr.strip()[-600:]}"
                if not run.ok
                else "the checking code printed nothing"
            )
        result.verdict = f"Self-answer checker: no verdict ({problem})."
        messages = [
            *messages,
            {"role": "assistant", "content": comp.text},
            {"role": "user", "content": p.self_check_retry.format(problem=problem)},
        ]
    return result
