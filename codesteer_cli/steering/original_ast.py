"""Reading strings out of Python source with `ast`, never running it: string constants,
f-strings kept as templates (their holes named by their source text), and the helpers
`original_release` uses to find them by where they are assigned, returned or passed."""

from __future__ import annotations

import ast
from dataclasses import dataclass

Part = tuple[str, str] | str  # literal text, or (hole's source, format spec)


@dataclass(frozen=True)
class Template:
    """An f-string of the release: literal parts and holes named by their source."""

    parts: tuple[Part, ...]

    @property
    def holes(self) -> frozenset[str]:
        return frozenset(p[0] for p in self.parts if isinstance(p, tuple))

    def fill(self, **values: object) -> str:
        """The string, holes filled from `values` keyed by the hole's source text with
        characters other than letters, digits and _ replaced by _ (`e.cmd` -> e_cmd)."""
        out = []
        for p in self.parts:
            if isinstance(p, str):
                out.append(p)
            else:
                out.append(format(values[_key(p[0])], p[1]))
        return "".join(out)

    def fill_one(self, value: object) -> str:
        """The string of a one-hole template, filled with `value`."""
        (hole,) = self.holes
        return self.fill(**{_key(hole): value})


def _key(source: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in source).strip("_")


class Missing(Exception):
    pass


def template(node: ast.AST | None) -> Template | None:
    """A Constant str, an f-string, a Name or a `+` of those, as a template."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return Template((node.value,))
    if isinstance(node, ast.Name):
        return Template(((node.id, ""),))
    if isinstance(node, ast.JoinedStr):
        parts: list[Part] = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue):
                if v.conversion != -1 or v.format_spec is not None:
                    return None
                parts.append((ast.unparse(v.value), ""))
        return Template(tuple(parts))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template(node.left), template(node.right)
        if left is None or right is None:
            return None
        return Template(left.parts + right.parts)
    return None


def ordered(node: ast.AST) -> list[ast.AST]:
    nodes = [n for n in ast.walk(node) if hasattr(n, "lineno")]
    return sorted(nodes, key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]


def assigned(node: ast.AST, name: str) -> list[Template]:
    """Templates assigned (=, +=) to `name` inside `node`, in source order."""
    out = []
    for n in ordered(node):
        if isinstance(n, ast.Assign):
            targets = n.targets
        elif isinstance(n, ast.AugAssign):
            targets = [n.target]
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            t = template(n.value)
            if t is not None:
                out.append(t)
    return out


def pick(templates: list[Template], holes: set[str], what: str) -> Template:
    for t in templates:
        if t.holes == holes:
            return t
    raise Missing(what)


def plain(templates: list[Template], what: str) -> str:
    return pick(templates, set(), what).fill()


def function(tree: ast.Module, name: str) -> ast.FunctionDef:
    for n in tree.body:
        if isinstance(n, ast.FunctionDef) and n.name == name:
            return n
    raise Missing(f"function {name}")


def calls(node: ast.AST, attr: str) -> list[ast.Call]:
    """Calls of a method or function named `attr`, in source order."""
    return [
        n
        for n in ordered(node)
        if isinstance(n, ast.Call)
        and (
            (isinstance(n.func, ast.Attribute) and n.func.attr == attr)
            or (isinstance(n.func, ast.Name) and n.func.id == attr)
        )
    ]


def strings(node: ast.AST) -> list[str]:
    return [
        n.value for n in ordered(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def marks(node: ast.AST, container: str) -> list[str]:
    """Constants tested with `'x' in container`."""
    return [
        n.left.value
        for n in ordered(node)
        if isinstance(n, ast.Compare)
        and isinstance(n.left, ast.Constant)
        and isinstance(n.left.value, str)
        and isinstance(n.ops[0], ast.In)
        and isinstance(n.comparators[0], ast.Name)
        and n.comparators[0].id == container
    ]
