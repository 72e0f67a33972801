"""The original CodeSteer release's strings, read at run time from the user's copy.

The project carries none of the original's sentences. `--original-release DIR` (or
$CODESTEER_ORIGINAL_RELEASE) names a copy of the release (yongchao98/CodeSteer-v1.0);
its files are parsed with `ast`, never imported or run, for the prompts, the message
templates of its CodeSteer loop, and the sentences of its checker and code analyzer.
A template keeps the f-string's holes by their source text (`{response}`, `{e.cmd}`).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from codesteer_cli.errors import UserError
from codesteer_cli.steering import original_ast as oa
from codesteer_cli.steering.original_ast import Template

ENV_VAR = "CODESTEER_ORIGINAL_RELEASE"
OPTION = "--original-release"
PROMPTS, MODELS = "prompt.py", "generation_models.py"
SYMBOLIC, LOOP = "symbolic_code_check.py", "benchmark/run_Logic_Game_CodeSteer_test.py"
FILES = (PROMPTS, MODELS, SYMBOLIC, LOOP)


@dataclass(frozen=True)
class SymbolicTexts:
    """The code analyzer's sentences and the marks it looks for, in the file's order."""

    invalid: Template  # {str(e)}
    reasons: tuple[str, ...]  # loops, itertools, eval/exec, string formatting, arithmetic
    itertools_mark: str
    eval_marks: tuple[str, ...]
    format_marks: tuple[str, ...]
    counted: tuple[str, ...]  # regexes whose matches add 1 each (loops, branches, try)
    headers: tuple[str, ...]  # searching, symbolic, numerical
    keywords: tuple[tuple[str, ...], ...]  # per header: reasons listed under it
    bullet: Template  # {exp}
    score: Template  # {results['complexity_score']}


@dataclass(frozen=True)
class OriginalRelease:
    root: str
    choice: str  # the guide's first input, before the question
    decision: str  # the API guide's decision prompt
    code: str  # the task model's instruction for <<<Code>>>
    text: str  # ... for <<<Text>>>
    checker: str  # the answer checker's instruction
    paraphrase: str  # the API guide path's paraphrase request
    round_head: Template  # {decision_prompt} {question}
    round_code: Template  # {response} {check_result} {code_complexity_summary}
    round_text: Template  # {response} {check_result}
    exec_long: Template  # {response}
    exec_output: Template  # {response} {output} {errors}
    exec_errors: Template  # {response} {errors}
    timeout: Template  # {e.cmd} {e.timeout}
    low_complexity: str
    checker_input: Template  # {Code_checker_prompt} {question} {response}
    check_output: Template  # {output}
    check_errors: Template  # {errors}
    check_both: Template  # {output} {errors}
    check_too_long: str
    check_no_code: str
    check_timeout: Template  # {e.cmd} {e.timeout}
    code_block: str  # regex of one code block (matched with re.DOTALL)
    symbolic: SymbolicTexts

    @property
    def fingerprint(self) -> str:
        """sha256 of every string read (not of where they were read from)."""
        d = asdict(self)
        d.pop("root")
        blob = json.dumps(d, sort_keys=True, ensure_ascii=False, default=list)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _symbolic(tree: ast.Module) -> SymbolicTexts:
    fn = oa.function(tree, "analyze_computational_approach")
    reasons = [oa.strings(c.args[0])[0] for c in oa.calls(fn, "append") if c.args]
    formats: list[str] = []
    invalid = None
    for n in oa.ordered(fn):
        if isinstance(n, ast.Dict):
            for k, v in zip(n.keys, n.values, strict=True):
                key = k.value if isinstance(k, ast.Constant) else None
                if key == "string_formatting" and isinstance(v, ast.List):
                    formats = oa.strings(v)
                elif key == "message" and invalid is None:
                    invalid = oa.template(v)
    counted = [
        c.args[0].value for c in oa.calls(fn, "findall") if isinstance(c.args[0], ast.Constant)
    ]
    explain = oa.function(tree, "analyze_code_and_explain")
    appended = [oa.template(c.args[0]) for c in oa.calls(explain, "append")]
    headers = [t.fill() for t in appended if t is not None and not t.holes]
    scores = [t for t in appended if t is not None and t.holes]
    keywords, bullets = [], []
    for c in oa.calls(explain, "extend"):
        comp = c.args[0] if c.args else None
        if isinstance(comp, ast.ListComp):
            bullets.append(oa.template(comp.elt))
            keywords.append(tuple(s for cond in comp.generators[0].ifs for s in oa.strings(cond)))
    itertools = oa.marks(fn, "module_name")
    if (
        len(reasons) != 5
        or invalid is None
        or not formats
        or len(counted) != 3
        or len(headers) != 3
        or len(keywords) != 3
        or not scores
        or bullets[0] is None
        or not itertools
    ):
        raise oa.Missing("the analysis of analyze_computational_approach/analyze_code_and_explain")
    return SymbolicTexts(
        invalid=invalid,
        reasons=tuple(reasons),
        itertools_mark=itertools[0],
        eval_marks=tuple(oa.marks(fn, "code_string")),
        format_marks=tuple(formats),
        counted=tuple(counted),
        headers=tuple(headers),
        keywords=tuple(keywords),
        bullet=bullets[0],
        score=scores[0],
    )


def _read(root: Path) -> OriginalRelease:
    trees: dict[str, ast.Module] = {}
    for rel in FILES:
        try:
            trees[rel] = ast.parse((root / rel).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise UserError(f"{OPTION} {root}: cannot read {rel} ({reason})") from None
    current = ""
    try:
        current = PROMPTS
        p = trees[PROMPTS]

        def prompt(name: str) -> str:
            top = [t for n in p.body if isinstance(n, ast.Assign) for t in oa.assigned(n, name)]
            return oa.plain(top, name)

        strings = {
            "choice": prompt("code_text_choice_prompt"),
            "decision": prompt("decision_prompt"),
            "code": prompt("with_COT_code_output_prompt"),
            "text": prompt("text_output_prompt"),
            "checker": prompt("Code_checker_prompt"),
        }
        current = MODELS
        m = trees[MODELS]
        check = oa.function(m, "LLM_answer_code_checker")
        returns = [
            t for n in oa.ordered(check) if isinstance(n, ast.Return) if (t := oa.template(n.value))
        ]
        block = [c.args[0] for c in oa.calls(oa.function(m, "extract_code"), "compile")]
        if not block or not isinstance(block[0], ast.Constant):
            raise oa.Missing("the code block pattern of extract_code")
        models = {
            "paraphrase": oa.plain(
                oa.assigned(oa.function(m, "paraphrase_with_GPT4"), "prompt"), "prompt"
            ),
            "checker_input": oa.pick(
                oa.assigned(check, "Input_prompt"),
                {"Code_checker_prompt", "question", "response"},
                "Input_prompt",
            ),
            "check_output": oa.pick(returns, {"output"}, "the checker's output"),
            "check_errors": oa.pick(returns, {"errors"}, "the checker's errors"),
            "check_both": oa.pick(returns, {"output", "errors"}, "the checker's output and errors"),
            "check_too_long": oa.plain(returns, "the checker's too-long notice"),
            "check_no_code": oa.plain(oa.assigned(check, "errors"), "the checker's no-code notice"),
            "check_timeout": oa.pick(
                oa.assigned(check, "timeout_error"), {"e.cmd", "e.timeout"}, "timeout_error"
            ),
            "code_block": str(block[0].value),
        }
        current = SYMBOLIC
        symbolic = _symbolic(trees[SYMBOLIC])
        current = LOOP
        loop = oa.function(trees[LOOP], "run_logic_game")
        rounds = oa.assigned(loop, "CodeSteer_input_prompt")
        responses = oa.assigned(loop, "response")
        summary = "code_complexity_summary"
        texts = {
            "round_head": oa.pick(
                oa.assigned(loop, "CodeSteer_input_prompt_head"),
                {"decision_prompt", "question"},
                "CodeSteer_input_prompt_head",
            ),
            "round_code": oa.pick(rounds, {"response", "check_result", summary}, "the round input"),
            "round_text": oa.pick(rounds, {"response", "check_result"}, "the round input"),
            "exec_long": oa.pick(responses, {"response"}, "the too-long notice"),
            "exec_output": oa.pick(responses, {"response", "output", "errors"}, "the output text"),
            "exec_errors": oa.pick(responses, {"response", "errors"}, "the errors text"),
            "timeout": oa.pick(oa.assigned(loop, "errors"), {"e.cmd", "e.timeout"}, "the timeout"),
            "low_complexity": oa.plain(oa.assigned(loop, summary), "the low-complexity warning"),
        }
    except (oa.Missing, IndexError, AttributeError) as exc:
        what = str(exc) if isinstance(exc, oa.Missing) else "an expected string"
        raise UserError(f"{OPTION} {root}: {current} lacks {what}") from None
    return OriginalRelease(str(root), **strings, **models, **texts, symbolic=symbolic)


@functools.lru_cache(maxsize=8)
def _cached(root: str, stamp: tuple[float, ...]) -> OriginalRelease:
    return _read(Path(root))


def release_dir(path: str | None) -> str | None:
    """The release folder: the option's value, else $CODESTEER_ORIGINAL_RELEASE."""
    return path or os.environ.get(ENV_VAR) or None


def load_release(path: str | None) -> OriginalRelease:
    """The strings of the release at `path` (or $CODESTEER_ORIGINAL_RELEASE); a missing
    or unreadable release, or a string it lacks, is a one-line UserError."""
    given = release_dir(path)
    if not given:
        raise UserError(
            f"--protocol original reads the original release's prompts: give {OPTION} DIR "
            f"(or set {ENV_VAR}) naming a copy of yongchao98/CodeSteer-v1.0"
        )
    root = Path(given).expanduser().resolve()
    if not root.is_dir():
        raise UserError(f"{OPTION} {given}: no such folder")
    stamp = tuple((root / f).stat().st_mtime if (root / f).exists() else -1.0 for f in FILES)
    return _cached(str(root), stamp)


def describe_release(path: str | None) -> dict[str, object]:
    """For `codesteer doctor`: whether a release is configured, and readable."""
    given = release_dir(path)
    if not given:
        return {"configured": False, "readable": False, "path": None, "env": ENV_VAR}
    try:
        rel = load_release(given)
    except UserError as exc:
        return {"configured": True, "readable": False, "path": given, "error": str(exc)}
    commit = Path(rel.root, "COMMIT")
    head = commit.read_text(errors="replace").split()[:1] if commit.is_file() else []
    return {
        "configured": True,
        "readable": True,
        "path": rel.root,
        "commit": head[0] if head else None,
        "fingerprint": rel.fingerprint,
    }
