"""Golden tests of `steer --protocol original`: for scripted episodes (fixed task-model
answers, guide replies and checker replies) the exact message lists our engine sends to
the guide, the task model and the checker equal, byte for byte, those the original
release's own benchmark loop builds for the same episode.

The original side runs the release's real `run_logic_game` (from
../shared/original-release, imported, never copied). Only what the release does not
ship is stubbed, each marked below: the LLaMA-Factory chat module (`run_response`, here
the scripted guide), `Logic_Game_func` (the dataset reader and scorers), and the
release's API call `GPT_response` (here the scripted task model and checker; it builds
its messages with the release's own `message_construct_func`). Code runs for real on
both sides: the original's with `python3`, ours in the sandbox.
"""

from __future__ import annotations

import ast
import copy
import gzip
import hashlib
import json
import os
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from codesteer_cli.errors import UserError
from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
from codesteer_cli.sandbox.executor import Executor
from codesteer_cli.steering import original_checks, runner
from codesteer_cli.steering.episode import Models
from codesteer_cli.steering.original import defaults
from codesteer_cli.steering.original_release import load_release
from codesteer_cli.store import repo
from codesteer_cli.store.db import Store
from codesteer_cli.store.models import CodeExecutionRow, EpisodeRow, TurnRow
from symbench.core import get_task
from tests.fixtures.scripted import ScriptedModel

REPO = Path(__file__).resolve().parents[2]
RELEASE = Path(
    os.environ.get("CODESTEER_ORIGINAL_RELEASE", REPO.parent / "shared" / "original-release")
)
TASK = get_task("number_multiply")
LLAMA_GUIDE = "llama3_8B_CodeSteer"  # the original's name for a fine-tuned guide


class OpenAIScripted(ScriptedModel):
    """TEST FIXTURE: a scripted model that reports provider "openai", so the protocol
    sends it the empty system message the original sent to OpenAI models."""

    def __init__(self, name: str, script: list[str]) -> None:
        super().__init__(name, script)
        self.provider = "openai"


def code(body: str) -> str:
    """An answer with one code block, in the form the original's pattern reads."""
    return f"My plan, then the program.\n```python\n{body}\n```\nDone."


# --- the original's side ---------------------------------------------------------------
@dataclass
class OriginalRun:
    guide: list[list[dict[str, str]]] = field(default_factory=list)
    task: list[list[dict[str, str]]] = field(default_factory=list)
    checker: list[list[dict[str, str]]] = field(default_factory=list)
    task_params: list[tuple[int, float]] = field(default_factory=list)
    scored: list[str] = field(default_factory=list)  # what the scorer was given
    saved: dict[str, Any] = field(default_factory=dict)  # its conversation_data.json


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Iterator[types.ModuleType]:
    """The release's benchmark module, importable: stubs for the two modules the release
    does not ship, and tiktoken's cache filled from the offline BPE copy (tiktoken would
    download it)."""
    cache = tmp_path_factory.mktemp("tiktoken")
    url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
    from codesteer_cli.models.tokens import bpe_sources

    source = next(p for p in bpe_sources("cl100k_base") if p.is_file())
    data = source.read_bytes()
    (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(
        gzip.decompress(data) if source.suffix == ".gz" else data
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", str(cache))
        mp.syspath_prepend(str(RELEASE))
        mp.syspath_prepend(str(RELEASE / "benchmark"))
        # STUB: LLaMA-Factory's chat module (not in the release); each run sets run_response.
        for name in (
            "models",
            "models.src",
            "models.src.llamafactory",
            "models.src.llamafactory.chat",
        ):
            mp.setitem(sys.modules, name, types.ModuleType(name))
        chat = types.ModuleType("models.src.llamafactory.chat.chat_model")
        chat.run_response = None  # type: ignore[attr-defined]
        mp.setitem(sys.modules, chat.__name__, chat)
        # STUB: the release's task functions module (not in the release); each run sets
        # the reader and scorer of the task it plays.
        tasks = types.ModuleType("Logic_Game_func")
        tasks.__getattr__ = lambda name: lambda *a, **k: None  # type: ignore[attr-defined]
        mp.setitem(sys.modules, "Logic_Game_func", tasks)
        try:
            from mistralai import Mistral  # noqa: F401
        except ImportError:  # STUB: the installed mistralai lacks the name the release imports
            mp.setitem(sys.modules, "mistralai", types.SimpleNamespace(Mistral=None))
        import run_Logic_Game_CodeSteer_test as bench

        yield bench
        for name in (
            "run_Logic_Game_CodeSteer_test",
            "generation_models",
            "prompt",
            "symbolic_code_check",
        ):
            sys.modules.pop(name, None)


def run_original(
    bench: types.ModuleType,
    workdir: Path,
    question: str,
    guide: list[str],
    task: list[str],
    checker: list[str],
    guide_llm: str = LLAMA_GUIDE,
    task_llm: str = "gpt-4o",
    depth: int = 5,
) -> OriginalRun:
    """One sample through the original's `run_logic_game`, every model scripted."""
    import generation_models as gm
    import prompt as P

    out = OriginalRun()
    scripts = {"guide": guide, "task": task, "checker": checker}
    calls = dict.fromkeys(scripts, 0)

    def next_reply(role: str) -> str:  # as ScriptedModel: the next string, the last repeats
        calls[role] += 1
        return scripts[role][min(calls[role], len(scripts[role])) - 1]

    def run_response(messages: list[dict[str, str]], args_path: str) -> str:
        out.guide.append(copy.deepcopy(messages))
        return next_reply("guide")

    def gpt_response(  # STUB of the release's API call: its own message assembly
        system_message: str,
        question: str,
        model_name: str,
        code_interpreter: bool,
        user_prompt_list: list[str],
        response_total_list: list[str],
        logprobs: bool,
        max_tokens_num: int = 2000,
        temperature: float = 0.0,
    ) -> str:
        msgs = gm.message_construct_func(
            list(user_prompt_list), list(response_total_list), system_message, model_name
        )
        first = user_prompt_list[0]
        if first.startswith(P.Code_checker_prompt):
            role = "checker"
        elif first.startswith(P.code_text_choice_prompt) or first.endswith(
            (P.with_COT_code_output_prompt, P.text_output_prompt)
        ):
            role = "guide"  # the API guide, or its paraphrase call
        else:
            role = "task"
            out.task_params.append((max_tokens_num, temperature))
        getattr(out, role).append(msgs)
        return next_reply(role)

    def scorer(response: str) -> str:
        out.scored.append(response)
        return "<<<x>>>"

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(workdir)
        mp.setattr(bench, "run_response", run_response)
        mp.setattr(bench, "GPT_response", gpt_response)
        mp.setattr(gm, "GPT_response", gpt_response)
        sample = {"question": question, "solution_data": {"solution": "x"}}
        mp.setattr(bench, "read_dataset_eight_queens", lambda d: [sample])
        mp.setattr(bench, "extract_equation_with_GPT4_eight_queens", scorer)
        mp.setattr(bench, "validate_solution_eight_queens", lambda *a: (False, ""))
        bench.run_logic_game("eight_queens", str(workdir), task_llm, depth, "x.yaml", guide_llm, 1)
    saved = list(workdir.rglob("conversation_data.json"))
    if saved:
        out.saved = json.loads(saved[0].read_text())
    return out


# --- our side ----------------------------------------------------------------------------
@dataclass
class OurRun:
    episode: EpisodeRow
    turns: list[TurnRow]
    runs: list[CodeExecutionRow]


def run_ours(
    store: Store,
    executor: Executor,
    method: str,
    guide: ScriptedModel,
    task: ScriptedModel,
    checker: ScriptedModel,
    seed: int = 0,
) -> OurRun:
    sample = TASK.generate(3, seed)
    repo.add_samples(store, [sample])
    cfg = runner.SteerConfig(
        method=method,
        tasks=TASK.id,
        complexity="3",
        limit=1,
        episode=EpisodeSettings(**defaults(method), protocol="original"),
        execution=ExecutionSettings(concurrency=1, original_release=str(RELEASE)),
    )
    runner.steer(store, cfg, models=Models(task, [guide], checker, executor))
    with store.read() as s:
        ep = s.exec(select(EpisodeRow)).one()
        turns = s.exec(select(TurnRow).order_by(TurnRow.seq)).all()
        runs = s.exec(select(CodeExecutionRow).order_by(CodeExecutionRow.id)).all()
    return OurRun(ep, list(turns), list(runs))


def question(seed: int = 0) -> str:
    return TASK.generate(3, seed).question


Play = Callable[..., tuple[OriginalRun, OurRun, dict[str, ScriptedModel]]]


@pytest.fixture
def play(original: types.ModuleType, store: Store, executor: Executor, tmp_path: Path) -> Play:
    """Play one scripted episode on both sides."""

    def go(method: str, guide: list[str], task: list[str], checker: list[str]):  # type: ignore[no-untyped-def]
        api = method == "symbolic_agent"
        guide_llm = "gpt-4o" if api else LLAMA_GUIDE
        orig = run_original(original, tmp_path, question(), guide, task, checker, guide_llm)
        models = {
            "guide": (OpenAIScripted if api else ScriptedModel)("guide", guide),
            "task": OpenAIScripted("task", task),
            "checker": OpenAIScripted("checker", checker),
        }
        ours = run_ours(store, executor, method, models["guide"], models["task"], models["checker"])
        return orig, ours, models

    return go


def assert_same_messages(orig: OriginalRun, models: dict[str, ScriptedModel]) -> None:
    for role in ("guide", "task", "checker"):
        theirs, mine = getattr(orig, role), models[role].requests
        assert len(mine) == len(theirs), role
        for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            assert a == b, f"{role} call {i} differs"


# --- the episodes ----------------------------------------------------------------------
BIG = (  # complexity 3.5 (for, if, else, two BinOps), 3,000 lines of output
    "total = 0\nfor i in range(3000):\n    if i % 2 == 0:\n        total += i\n"
    "    else:\n        total -= 1\n    print(i, i * i)"
)
BOM = "\ufeffprint(7)"  # runs (python strips the BOM of a file) but does not parse: invalid
CORRECT = code('print("Correct")')
NO_CODE = "I would check it by hand."
NOISY = code('import sys\nprint("Wrong: off by one")\nsys.stderr.write("warn\\n")')


def test_fine_tuned_guide_code_text_free_return(play: Play) -> None:
    """Code round with output and errors (score <= 2: warning), free guidance with an
    output past 2,000 tokens, a Text round, invalid code, Return Answer."""
    guide = [
        "The task needs exact arithmetic. <<<Code>>>",
        "The code only prints a constant. Write code that computes it and prints <<<answer>>>.",
        "<<<Text>>>",
        "<<<Code>>>",
        "The answer checks out. <<<Return Answer>>>",
    ]
    task = [
        code('import sys\nprint(42)\nsys.stderr.write("careful\\n")'),
        code(BIG),
        "By hand, the product is <<<120>>>.",
        code(BOM),
    ]
    checker = [CORRECT, *[NO_CODE] * 5, NOISY, NOISY, NOISY, CORRECT]
    orig, ours, models = play("codesteer", guide, task, checker)
    assert_same_messages(orig, models)
    rel = load_release(str(RELEASE))
    inputs = [m[-1]["content"] for m in orig.guide]
    assert rel.low_complexity in inputs[1] and "too long to be displayed" in inputs[2]
    assert "Invalid Python code" in inputs[4] and rel.low_complexity in inputs[4]
    assert rel.low_complexity not in inputs[2]  # the loop's score is above 2
    assert all("execution result" not in m["content"] for m in models["task"].requests[-1])
    ep = ours.episode
    assert ep.stop_reason == "return" and ep.rounds == 4
    assert ep.extra["answer_modes"] == ["code", "free", "text", "code"]
    # the scorer sees the final code's re-run output (nothing: it does not parse) and the text
    final = [r for r in ours.runs if r.purpose == "final"]
    assert orig.scored == [final[0].stdout, task[-1]] == ["", task[-1]]
    guide_turns = [t for t in ours.turns if t.role == "guide"]
    assert [t.params["temperature"] for t in guide_turns] == [0.95] * 5
    assert {t.params["max_tokens"] for t in guide_turns} == {1024}
    assert {
        (t.params["max_tokens"], t.params["temperature"]) for t in ours.turns if t.role == "task"
    } == set(orig.task_params)
    assert orig.saved["CodeSteer_output_prompt_guidance_list"] == guide


def test_fine_tuned_guide_round_limit_reruns_first_code(play: Play) -> None:
    """1 + 5 answers; the last is text, so the final re-run is the first answer's code
    (the file the original's first round left), printing `result`. The first check
    prints past 2,000 tokens with errors three times: the checker's too-long notice."""
    guide = ["<<<Text>>>", *[f"Try again, step {i}." for i in range(1, 6)]]
    task = [code("result = 6 * 7"), *[f"Still <<<{i}>>>." for i in range(1, 6)]]
    long_noisy = code('import sys\nfor i in range(3000):\n    print(i)\nsys.stderr.write("w")')
    orig, ours, models = play("codesteer", guide, task, [long_noisy] * 3 + [CORRECT])
    assert_same_messages(orig, models)
    rel = load_release(str(RELEASE))
    assert rel.check_too_long in orig.guide[1][-1]["content"]  # the checker's own notice
    assert len(models["task"].requests) == 6 and len(models["guide"].requests) == 6
    assert ours.episode.stop_reason == "max_rounds" and ours.episode.rounds == 6
    assert orig.scored == ["42\n", task[-1]]
    assert [r.stdout for r in ours.runs if r.purpose == "final"] == ["42\n"]
    # the last answer is read by no guide (its code would run only now): no verdict kept
    verdicts = [t.extra.get("correct") for t in ours.turns if t.role == "task"]
    assert verdicts == [False] * 5 + [None]
    assert ours.episode.code_score is not None


def test_answers_a_guide_reads_carry_their_verdict(store: Store, executor: Executor) -> None:
    """Each answer the guide reads next is scored as a final answer is (its text or its
    code's output) and the verdict kept in the task turn for the report's analysis."""
    answer = TASK.generate(3, 0).answer
    guide = ["<<<Code>>>", "<<<Text>>>", "<<<Return Answer>>>"]
    task = [code(f"print('{answer}')"), "By hand it is <<<5>>>."]
    ours = run_ours(
        store,
        executor,
        "codesteer",
        ScriptedModel("guide", guide),
        OpenAIScripted("task", task),
        OpenAIScripted("checker", [CORRECT]),
    )
    assert [t.extra.get("correct") for t in ours.turns if t.role == "task"] == [True, False]
    # the episode is scored as the original scored it: the last text, or the first
    # answer's code re-run (the last answer has none) - so it passes by code
    assert ours.episode.passed_by == "code"


def test_api_guide_paraphrase_span_and_terminate(play: Play) -> None:
    """The GPT-4o guide path: paraphrased first instruction, decision prompt and question
    in every input, the last <<<...>>> span as the reply ("Code" then reaches the task
    model as is: the original maps only the marked form), Terminate."""
    guide = [
        "This is a computation. <<<Code>>>",
        "Write Python that solves the question and prints the answer.",
        "Analysis: the code ran. <<<Code>>>",
        "Nothing more to gain. <<<Terminate>>>",
    ]
    task = [code("print(6 * 7)"), code("for i in range(2):\n    print(i)")]
    orig, ours, models = play("symbolic_agent", guide, task, [CORRECT])
    assert_same_messages(orig, models)
    assert models["task"].requests[1][-1]["content"] == "Code"
    assert ours.episode.stop_reason == "terminate"
    assert orig.saved["CodeSteer_output_prompt_guidance_list"] == [guide[1], "Code", "Terminate"]


def test_api_guide_without_a_choice_skips_the_sample(play: Play) -> None:
    orig, ours, models = play("symbolic_agent", ["I am not sure."], ["unused"], [CORRECT])
    assert_same_messages(orig, models)
    assert not models["task"].requests and ours.episode.stop_reason == "no_choice"
    assert ours.episode.score == 0.0


# --- pieces ------------------------------------------------------------------------------
SNIPPETS = [
    "print(1)",
    "import itertools\nfor p in itertools.permutations([1, 2]):\n    print(p)",
    "from itertools import product\nprint(list(product([1], [2])))",
    "x = eval('1+2')\nprint(f'{x}')\nprint('a {}'.format(x))",
    "try:\n    y = 1 / 0\nexcept ZeroDivisionError:\n    y = 2 ** 3 - 1\nprint(y)",
    "while True:\n    break\nif 1:\n    pass\nelif 2:\n    pass\nelse:\n    pass",
    "print(",
    BOM,
]


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_complexity_summary_is_the_originals(original: types.ModuleType, snippet: str) -> None:
    import symbolic_code_check as sc

    rel = load_release(str(RELEASE))
    theirs = sc.analyze_code_and_explain(snippet)
    assert original_checks.complexity(rel, snippet) == theirs
    text, score = original_checks.summary_with_warning(rel, snippet)
    assert text.endswith(rel.low_complexity) == (theirs[1] <= 2)


def test_release_strings_are_the_originals(original: types.ModuleType) -> None:
    import prompt as P

    rel = load_release(str(RELEASE))
    assert (rel.choice, rel.decision, rel.code, rel.text, rel.checker) == (
        P.code_text_choice_prompt,
        P.decision_prompt,
        P.with_COT_code_output_prompt,
        P.text_output_prompt,
        P.Code_checker_prompt,
    )


def test_missing_or_broken_release_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CODESTEER_ORIGINAL_RELEASE", raising=False)
    with pytest.raises(UserError, match="--original-release"):
        load_release(None)
    with pytest.raises(UserError, match="no such folder"):
        load_release(str(tmp_path / "nowhere"))
    copy_dir = tmp_path / "release"
    for rel in (
        "prompt.py",
        "generation_models.py",
        "symbolic_code_check.py",
        "benchmark/run_Logic_Game_CodeSteer_test.py",
    ):
        (copy_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy_dir / rel).write_text((RELEASE / rel).read_text())
    tree = ast.parse((copy_dir / "prompt.py").read_text())
    tree.body = [
        n
        for n in tree.body
        if not (isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "decision_prompt")
    ]
    (copy_dir / "prompt.py").write_text(ast.unparse(tree))
    with pytest.raises(UserError) as err:
        load_release(str(copy_dir))
    assert "prompt.py lacks decision_prompt" in str(err.value) and "\n" not in str(err.value)
    (copy_dir / "prompt.py").write_text("def broken(:\n")
    with pytest.raises(UserError, match="cannot read prompt.py"):
        load_release(str(copy_dir))


def test_resume_replays_from_the_response_cache(store: Store, executor: Executor) -> None:
    """Stopped in the middle of an episode, then resumed: the episode is played again with
    every finished call served from the response cache (no scripted model asked twice)."""
    import threading

    from codesteer_cli.models.cache import CachedModel

    stop = threading.Event()
    guide_replies = ["<<<Code>>>", "Check the second factor.", "<<<Return Answer>>>"]
    asked: list[int] = []

    def guide_script(messages: list[dict[str, str]]) -> str:
        asked.append(len(messages))
        if len(asked) == 2:
            stop.set()  # the run stops before its next call
        return guide_replies[len(messages) // 2]

    guide = ScriptedModel("guide", guide_script)
    task = OpenAIScripted("task", [code("print(6 * 7)"), code("print(42)")])
    checker = OpenAIScripted("checker", [CORRECT])
    models = Models(
        CachedModel(task, store), [CachedModel(guide, store)], CachedModel(checker, store), executor
    )
    repo.add_samples(store, [TASK.generate(3, 0)])
    cfg = runner.SteerConfig(
        method="codesteer",
        tasks=TASK.id,
        complexity="3",
        limit=1,
        episode=EpisodeSettings(**defaults("codesteer"), protocol="original"),
        execution=ExecutionSettings(concurrency=1, original_release=str(RELEASE)),
    )
    first = runner.steer(store, cfg, name="r", models=models, stop=stop)
    assert first.status == "stopped"
    calls = (len(guide.requests), len(task.requests), len(checker.requests))
    again = runner.steer(store, cfg, resume="r", models=models)
    assert again.status == "finished"
    with store.read() as s:
        ep = s.exec(select(EpisodeRow)).one()
        turns = s.exec(select(TurnRow).where(TurnRow.episode_id == ep.id)).all()
    assert ep.stop_reason == "return" and ep.rounds == 2
    assert [t.role for t in sorted(turns, key=lambda t: t.seq)] == [
        "guide",
        "task",
        "checker",
        "guide",
        "task",
        "checker",
        "guide",
    ]
    # the calls made before the stop were not asked again
    assert len(guide.requests) == 3 and calls[0] == 2
    assert len(task.requests) == 2 and len(checker.requests) == 2
    assert sum(t.cached for t in turns) == calls[0] + calls[1] + calls[2]
    assert again.run.cfg.episode.protocol == "original"
    assert again.run.row.config["protocol"] == "original"


def test_no_sentence_of_the_release_is_in_the_project() -> None:
    """The project reads the release's strings; it carries none of them."""
    rel = load_release(str(RELEASE))
    texts: list[str] = [rel.choice, rel.decision, rel.code, rel.text, rel.checker, rel.paraphrase]
    texts += [rel.low_complexity, rel.check_too_long, rel.check_no_code, *rel.symbolic.reasons]
    for t in (rel.round_code, rel.exec_long, rel.exec_output, rel.timeout, rel.checker_input):
        texts += [p for p in t.parts if isinstance(p, str)]
    lines = {ln.strip(" *-") for t in texts for ln in t.splitlines()}
    lines = {ln for ln in lines if len(ln) >= 24}
    assert len(lines) > 30
    for path in (REPO / "codesteer_cli").rglob("*.py"):
        source = path.read_text()
        for ln in lines:
            assert ln not in source, f"{path.relative_to(REPO)} carries {ln[:60]!r}"


def test_timed_out_runs_read_as_the_originals_subprocess_results() -> None:
    """After a timeout the original got printed output back as bytes: the guide then sees
    only the errors (with the timeout line); with nothing printed, output and errors."""
    from codesteer_cli.sandbox.executor import ExecResult

    rel = load_release(str(RELEASE))
    note = rel.timeout.fill(e_cmd="['python3', 'code_1_2.py']", e_timeout="10")

    def view(stdout: str) -> str:
        run = ExecResult(stdout, "", None, True, 10.2, "none")
        return original_checks.execution_view(rel, "R", run, 2, 10.0)

    assert view("partial\n") == rel.exec_errors.fill(response="R", errors=note)
    assert view("") == rel.exec_output.fill(response="R", output="", errors=note)
