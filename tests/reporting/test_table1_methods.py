"""Every `steer --method` maps to its Table 1 column, and where ours differs from what the
paper ran (code_interpreter is a local loop, not OpenAI's hosted tool) reports say so."""

from __future__ import annotations

import json

from codesteer_cli.reporting.compare import (
    LOCAL_LOOP,
    OUR_METHODS,
    PAPER_METHODS,
    method_label,
    our_method,
    table1_method,
)
from codesteer_cli.steering import methods
from tests.reporting.conftest import StoreBuilder, eps

# The paper's columns that are GPT-4o methods (the others are o1, R1, o1-preview).
GPT4O_COLUMNS = {m.column for m in PAPER_METHODS if m.column.startswith("gpt4o_")}


def test_every_method_has_its_table1_column() -> None:
    assert {m.name for m in OUR_METHODS} == set(methods.METHODS)
    columns = [m.column for m in OUR_METHODS if m.column is not None]
    assert len(columns) == len(set(columns)), "two methods claim one column"
    assert set(columns) == GPT4O_COLUMNS  # every GPT-4o column has one of ours
    for name, column in [
        ("autogen_concat", "gpt4o_autogen_conca"),
        ("code_text_sum", "gpt4o_code_text_sum1"),
        ("code_text_sum2", "gpt4o_code_text_sum2"),
        ("self_estimate", "gpt4o_code_text_choice"),
        ("code_interpreter", "gpt4o_code_interpreter"),
        ("codesteer", "gpt4o_codesteer"),
    ]:
        m = table1_method(name)
        assert m is not None and m.column == column, name
    assert table1_method("code_first_rule") is None and table1_method("nope") is None
    summarizers = {m.name for m in OUR_METHODS if m.guide_role == "summarizer"}
    assert summarizers == methods.SUMMARIZER_GUIDE


def test_code_interpreter_is_labelled_a_local_loop() -> None:
    assert method_label("code_interpreter") == "code_interpreter (local loop)"
    assert method_label("codesteer") == "codesteer"
    ours = our_method("code_interpreter")
    assert ours is not None and ours.note == LOCAL_LOOP and "hosted" in LOCAL_LOOP
    paper = table1_method("code_interpreter")
    assert paper is not None and "hosted" in paper.title


def _runs(builder: StoreBuilder) -> None:
    builder.run("ci", "code_interpreter", eps("game24", [1, 0], guide=False), guide=None)
    builder.run("sum2", "code_text_sum2", eps("game24", [1, 1]), guide="hf:summarizer")
    builder.run("cs", "codesteer", eps("game24", [1, 1]))


def test_reports_name_the_column_and_the_difference(cli, builder: StoreBuilder) -> None:
    _runs(builder)
    r = cli("report", "ci", "sum2", "cs", "--compare", "code-interpreter", "--format", "json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    info = {m["key"]: m for m in rep["methods"]}
    assert info["ci"]["table1_column"] == "gpt4o_code_interpreter"
    assert info["ci"]["method_note"] == LOCAL_LOOP
    assert info["sum2"]["table1_column"] == "gpt4o_code_text_sum2"
    assert info["cs"]["table1_column"] == "gpt4o_codesteer" and info["cs"]["method_note"] == ""
    assert "hosted" in info["code-interpreter"]["title"]
    assert any(n.startswith("run ci (code_interpreter): a local loop") for n in rep["notes"])
    assert any(n.startswith("run sum2 (code_text_sum2): the summarizer") for n in rep["notes"])
    # the summarizer's turns are answers, not guidance: no guide-decision row for sum2
    assert set(rep["guide_choices"]) == {"cs"}
    text = cli("report", "ci", "sum2", "cs", "--format", "md").stdout
    assert "code_interpreter (local loop) · openai:gpt-4o" in text
    assert "local loop: our sandbox runs the model's code" in text


def test_runs_list_and_show_say_local_loop(cli, builder: StoreBuilder) -> None:
    _runs(builder)
    listed = cli("runs", "list").stdout
    assert "(local loop)" in listed
    shown = " ".join(cli("runs", "show", "ci").stdout.split())  # prose wraps at 80 columns
    assert 'paper: Table 1 "GPT-4o, Code Interpreter (OpenAI\'s hosted tool)"' in shown
    assert "ours: a local loop" in shown
    assert "paper: not in Table 1" not in cli("runs", "show", "cs").stdout
