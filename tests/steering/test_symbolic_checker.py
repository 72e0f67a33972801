"""The Symbolic Checker: approaches found and the complexity score (SPEC §3)."""

from __future__ import annotations

import pytest

from codesteer_cli.steering.checkers import symbolic_check
from codesteer_cli.steering.code import extract_code

SEARCH = """
from itertools import permutations
best = None
for p in permutations(range(5)):
    if p[0] + p[1] * 2 == 7:
        best = p
        break
print(best)
"""


def test_search_code_scores_loops_branches_and_ops() -> None:
    r = symbolic_check(SEARCH)
    assert r.valid
    assert r.loops == 1 and r.branches == 1 and r.binary_ops == 2 and r.try_excepts == 0
    assert r.complexity == 1 + 1 + 0.5
    assert "itertools" in r.searching and "permutations" in r.searching
    assert "arithmetic" in r.numerical
    assert not r.low_complexity and not r.literal_answer_only


def test_try_except_and_while_and_comprehension() -> None:
    code = "try:\n    x = [i*i for i in range(9)]\nexcept ValueError:\n    x = []\n"
    code += "n = 0\nwhile n < 3:\n    n += 1\n"
    r = symbolic_check(code)
    assert r.try_excepts == 2 and r.loops == 2 and r.binary_ops == 2
    assert r.complexity == 2 + 2 + 0.5


def test_literal_print_is_flagged_and_warned() -> None:
    r = symbolic_check("answer = 42\nprint(f'<<<{answer}>>>')")
    assert r.valid and r.complexity == 0 and r.low_complexity
    text = r.text()
    assert "below 2" in text
    r2 = symbolic_check("print('<<<[1, 2, 3]>>>')")
    assert r2.literal_answer_only and "only prints literal" in r2.text()


def test_symbolic_libraries_and_eval() -> None:
    r = symbolic_check(
        "import sympy as sp\nx = sp.symbols('x')\nprint(eval('1+2'))\n"
        "from constraint import Problem\n"
    )
    assert {"sympy", "eval", "constraint"} <= set(r.symbolic)


def test_recursion_counts_as_searching() -> None:
    r = symbolic_check("def f(n):\n    return 1 if n < 2 else f(n-1) + f(n-2)\nprint(f(10))")
    assert "recursion" in r.searching and r.branches == 1 and r.binary_ops == 3


@pytest.mark.parametrize("code", ["def f(:\n", "print('unclosed", "\x00"])
def test_invalid_code(code: str) -> None:
    r = symbolic_check(code)
    assert not r.valid and r.complexity == 0
    assert "Invalid Python code" in r.text()


@pytest.mark.parametrize(
    "text, code",
    [
        ("Here:\n```python\nprint(1)\n```\nand\n```python\nprint(2)\n```", "print(1)"),
        ("```py\nx=1\n```", "x=1"),
        ("```Python3\nprint('a')\n```", "print('a')"),
        ("text only, no code", None),
        ("```\nprint(1)\n```", None),
        ("```python\nprint('unclosed')", "print('unclosed')"),
        ("```python\n\n```", None),
    ],
)
def test_extract_code(text: str, code: str | None) -> None:
    assert extract_code(text) == code
