"""The paper's published results: the 13 methods of Table 1, their names, the cost table.

Data ships in `reporting/data/` (see `data/SOURCE.md`). Methods are named on the command
line by short aliases (`o1`, `r1`, `gpt-4o+codesteer`, ...); `paper` means all thirteen,
the set the paper normalized over.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from codesteer_cli.errors import UserError

PAPER_SOURCE = "CodeSteer (ICML 2025, arXiv 2502.04350), Tables 1 and 8"
TABLE1 = "paper_table1_success_rates.csv"
TABLE8 = "paper_table8_cost.csv"


@dataclass(frozen=True)
class PaperMethod:
    """One column of the paper's Table 1."""

    column: str  # the CSV column
    name: str  # canonical alias, used as the method's name in reports
    title: str  # as the paper writes it
    aliases: tuple[str, ...] = ()
    cost_row: str | None = None  # Table 8 row (defaults to `column`)
    alt_cost_row: str | None = None  # a second published runtime (CodeSteer on 4×H100)


PAPER_METHODS: tuple[PaperMethod, ...] = (
    PaperMethod("o1", "o1", "OpenAI o1"),
    PaperMethod("deepseek_r1", "r1", "DeepSeek-R1", ("deepseek-r1", "deepseek", "dsr1")),
    PaperMethod("o1_preview", "o1-preview", "OpenAI o1-preview"),
    PaperMethod(
        "gpt4o_only_question",
        "gpt-4o",
        "GPT-4o, only question",
        ("gpt4o", "only-question", "gpt-4o+only-question"),
    ),
    PaperMethod(
        "gpt4o_symbolic_agent",
        "symbolic-agent",
        "GPT-4o + Symbolic Agent",
        ("gpt-4o+symbolic-agent",),
    ),
    PaperMethod(
        "gpt4o_all_text_cot",
        "all-text",
        "GPT-4o, All Text + CoT",
        ("all-text-cot", "gpt-4o+all-text"),
    ),
    PaperMethod(
        "gpt4o_all_code_cot",
        "all-code",
        "GPT-4o, All Code + CoT",
        ("all-code-cot", "gpt-4o+all-code"),
    ),
    PaperMethod(
        "gpt4o_autogen_conca",
        "autogen-conca",
        "GPT-4o, AutoGen Conca.",
        ("autogen", "gpt-4o+autogen"),
    ),
    PaperMethod("gpt4o_code_text_sum1", "code-text-sum1", "GPT-4o, Code + Text + Sum.1"),
    PaperMethod("gpt4o_code_text_sum2", "code-text-sum2", "GPT-4o, Code + Text + Sum.2"),
    PaperMethod(
        "gpt4o_code_text_choice", "code-text-choice", "GPT-4o, Code/Text Choice", ("self-estimate",)
    ),
    PaperMethod(
        "gpt4o_code_interpreter",
        "code-interpreter",
        "GPT-4o, Code Interpreter (OpenAI's hosted tool)",
        ("gpt-4o+code-interpreter",),
    ),
    PaperMethod(
        "gpt4o_codesteer",
        "gpt-4o+codesteer",
        "GPT-4o + CodeSteer",
        ("codesteer",),
        cost_row="gpt4o_codesteer_1xh100",
        alt_cost_row="gpt4o_codesteer_4xh100",
    ),
)

LOCAL_LOOP = (
    "a local loop: our sandbox runs the model's code and feeds the output back; the paper's "
    "Code Interpreter column is OpenAI's hosted tool"
)


@dataclass(frozen=True)
class OurMethod:
    """One of our `steer --method` values and the Table 1 column it stands for."""

    name: str
    column: str | None  # Table 1 column; None: the paper has no such method
    note: str = ""  # how ours differs from what the paper ran, said wherever it is reported
    label: str = ""  # a short tag shown beside the name (titles, run lists)
    guide_role: str = "guide"  # what its --guide model does: guide | summarizer


OUR_METHODS: tuple[OurMethod, ...] = (
    OurMethod("only_question", "gpt4o_only_question"),
    OurMethod("symbolic_agent", "gpt4o_symbolic_agent"),
    OurMethod("all_text", "gpt4o_all_text_cot"),
    OurMethod("all_code", "gpt4o_all_code_cot"),
    OurMethod(
        "autogen_concat",
        "gpt4o_autogen_conca",
        "AutoGen-style assistant instructions in our own words before the question, not "
        "AutoGen's own system prompt",
    ),
    OurMethod("code_text_sum", "gpt4o_code_text_sum1"),
    OurMethod(
        "code_text_sum2",
        "gpt4o_code_text_sum2",
        "the summarizer is the run's --guide model (default: the task model); the paper's is "
        "Llama-3.1-8B fine-tuned on correct summaries; its tokens count as guide tokens",
        guide_role="summarizer",
    ),
    OurMethod(
        "self_estimate",
        "gpt4o_code_text_choice",
        "the task model itself picks code or text; the paper's chooser is a fine-tuned "
        "Llama-3.1-8B",
    ),
    OurMethod("code_interpreter", "gpt4o_code_interpreter", LOCAL_LOOP, "local loop"),
    OurMethod("codesteer", "gpt4o_codesteer"),
    OurMethod("code_first_rule", None, "ours: the paper's Table 1 has no such method"),
)


def our_method(name: str) -> OurMethod | None:
    """What a stored run's method stands for in Table 1 (None: an unknown name)."""
    return next((m for m in OUR_METHODS if m.name == name), None)


def method_label(name: str) -> str:
    """A method's name as reports and run lists show it: `code_interpreter (local loop)`."""
    ours = our_method(name)
    return f"{name} ({ours.label})" if ours is not None and ours.label else name


def table1_method(name: str) -> PaperMethod | None:
    """The Table 1 column a run of our method `name` is compared with."""
    ours = our_method(name)
    if ours is None or ours.column is None:
        return None
    return next(m for m in PAPER_METHODS if m.column == ours.column)


# The paper's own task names (and the original release's folder names) -> our task ids.
# The CSV already uses our ids; these let the loader read either spelling.
_TASK_ALIASES: dict[str, str] = {
    "game_24": "game24",
    "24_game": "game24",
    "boxnet1": "boxnet",
    "box_net": "boxnet",
    "box_lift": "boxlift",
    "path_plan_continuous": "path_plan",
    "gsm": "gsm_hard",
    "gsm_hard_v2": "gsm_hard",
    "gsmhardv2": "gsm_hard",
    "math_counting_and_probability": "math_counting_probability",
    "math_count_prob": "math_counting_probability",
    "matrix_trans": "matrix_transformation",
    "stat_counting": "statistical_counting",
    "light_out": "light_puzzles",
    "string_deletion_and_modification": "string_deletion_modification",
    "permutations_and_combinations": "permutations_combinations",
    "combi_calcu": "combinatorial_calculation",
    "syn_decom": "synthesis_decomposition",
    "2048": "game_2048",
    "game_number": "game_2048",
    "sudoku": "standard_sudoku",
    "constrained": "constrained_linear_arrangement",
}

# Split and family of every SPEC §6 task, so a report need not import the task modules
# (they pull in sympy: ~1 s). A test checks this against symbench's registry; a task not
# listed here is looked up in the registry.
TASK_INFO: dict[str, tuple[str, str]] = {
    "game24": ("seen", "computation"),
    "path_plan": ("seen", "planning"),
    "boxlift": ("seen", "planning"),
    "boxnet": ("seen", "planning"),
    "blocksworld": ("seen", "planning"),
    "date_understanding": ("seen", "bbh"),
    "web_of_lies": ("seen", "bbh"),
    "logical_deduction": ("seen", "bbh"),
    "navigate": ("seen", "bbh"),
    "gsm_hard": ("seen", "math"),
    "math_geometry": ("seen", "math"),
    "math_counting_probability": ("seen", "math"),
    "logical_equation": ("seen", "logic_game"),
    "new_operator": ("seen", "logic_game"),
    "pooling": ("seen", "logic_game"),
    "light_puzzles": ("seen", "logic_game"),
    "mahjong": ("seen", "logic_game"),
    "statistical_counting": ("seen", "logic_game"),
    "matrix_transformation": ("seen", "logic_game"),
    "logic_puzzle": ("seen", "logic_game"),
    "constrained_linear_arrangement": ("seen", "logic_game"),
    "pattern_recognition": ("seen", "logic_game"),
    "string_insertion": ("seen", "logic_game"),
    "letter_logic_diagram": ("seen", "logic_game"),
    "string_deletion_modification": ("seen", "logic_game"),
    "string_synthesis": ("seen", "logic_game"),
    "reversi": ("seen", "logic_game"),
    "standard_sudoku": ("seen", "logic_game"),
    "letters": ("unseen", "computation"),
    "number_multiply": ("unseen", "computation"),
    "eight_queens": ("unseen", "logic_game"),
    "cryptanalysis": ("unseen", "logic_game"),
    "string_splitting": ("unseen", "logic_game"),
    "combinatorial_calculation": ("unseen", "logic_game"),
    "synthesis_decomposition": ("unseen", "logic_game"),
    "game_2048": ("unseen", "logic_game"),
    "permutations_combinations": ("unseen", "logic_game"),
    "sokoban": ("seen", "planning"),  # not in the paper's 37
}


def task_id(paper_name: str) -> str:
    """Our task id for a task name as the paper or the original release spells it."""
    key = re.sub(r"[^a-z0-9]+", "_", paper_name.strip().lower()).strip("_")
    return _TASK_ALIASES.get(key, key)


def _norm(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


@cache
def _alias_index() -> dict[str, PaperMethod]:
    index: dict[str, PaperMethod] = {}
    for m in PAPER_METHODS:
        for a in (m.name, m.column, *m.aliases):
            index[_norm(a)] = m
    return index


def alias_help() -> str:
    """One line per method: `name (aliases): title` for --help and errors."""
    return "; ".join(f"{m.name} = {m.title}" for m in PAPER_METHODS)


def method_names() -> list[str]:
    return [m.name for m in PAPER_METHODS]


def resolve_compare(spec: str | None) -> list[PaperMethod]:
    """`--compare o1,r1,paper` -> the paper methods, in the paper's column order."""
    if not spec:
        return []
    chosen: set[str] = set()
    index = _alias_index()
    for part in (p for p in spec.split(",") if p.strip()):
        key = _norm(part)
        if key in ("paper", "all"):
            chosen.update(m.column for m in PAPER_METHODS)
            continue
        m = index.get(key)
        if m is None:
            raise UserError(
                f"unknown --compare name {part.strip()!r}; use paper (all thirteen) or "
                f"any of: {', '.join(method_names())}"
            )
        chosen.add(m.column)
    return [m for m in PAPER_METHODS if m.column in chosen]


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("codesteer_cli.reporting").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@dataclass(frozen=True)
class PaperData:
    tasks: tuple[str, ...]  # our ids, in the paper's order
    split: dict[str, str]  # task -> seen | unseen
    rates: dict[str, dict[str, float]]  # column -> task -> success %
    cost: dict[str, dict[str, float | None]]  # Table 8 row -> field -> value


@cache
def paper_data() -> PaperData:
    rows = _read(TABLE1)
    tasks = tuple(task_id(r["task"]) for r in rows)
    split = {task_id(r["task"]): r["split"].strip() for r in rows}
    rates = {
        m.column: {task_id(r["task"]): float(r[m.column]) for r in rows} for m in PAPER_METHODS
    }
    cost: dict[str, dict[str, float | None]] = {}
    for r in _read(TABLE8):
        cost[r["method"]] = {
            k: (float(v) if v not in ("", None) else None)
            for k, v in r.items()
            if k not in ("method", "note")
        }
    return PaperData(tasks, split, rates, cost)


def paper_cost(m: PaperMethod) -> dict[str, float | None]:
    """Published tokens/sample, runtime/sample and normalized total for one method."""
    cost = paper_data().cost
    row = cost.get(m.cost_row or m.column, {})
    alt = cost.get(m.alt_cost_row, {}) if m.alt_cost_row else {}
    return {
        "tokens": row.get("avg_taskllm_tokens_per_sample"),
        "runtime_s": row.get("avg_runtime_s_per_sample"),
        "runtime_alt_s": alt.get("avg_runtime_s_per_sample"),
        "normalized_total": row.get("normalized_score_total"),
    }


def task_info(task: str) -> tuple[str, str]:
    """(seen|unseen, family) of a task: the table above, else symbench's registry."""
    if task in TASK_INFO:
        return TASK_INFO[task]
    from symbench.core import SymbenchError, get_task

    try:
        t = get_task(task)
        return t.split, t.family
    except SymbenchError:
        return paper_data().split.get(task, "unknown"), "other"
