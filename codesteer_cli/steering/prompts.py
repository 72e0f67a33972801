"""Every prompt the engine sends, in one place, grouped into named, versioned sets.

A run records the set's name and version. `default` is written for capable models;
`tiny` says the same things more briefly and explicitly for small local models (the
embedded SmolLM2-135M), chosen with `--prompts tiny`, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codesteer_cli.errors import UserError

# autogen_concat (Table 1's "AutoGen Conca."): an AutoGen-style coding assistant's
# standing instructions, put in front of the question in one user message. Our wording of
# what such an assistant is told; AutoGen's own text is not carried.
_AUTOGEN_STYLE = (
    "You are an AI assistant working with a user who can run programs for you. Use your "
    "language skills and your programming skills together. Start by laying out a plan (say "
    "which steps you will reason through and which you will compute), then, for any step "
    "that needs computing or looking something up, write a Python program in a ```python "
    "block. The user runs your program unchanged and cannot edit it, so make it complete "
    "and have it print what it finds; use a single code block in a reply. Should the "
    "program fail or leave the task unsolved, correct it in full or rethink the approach. "
    "Before you finish, check the answer and give the evidence for it, then write TERMINATE."
)


@dataclass(frozen=True)
class PromptSet:
    name: str
    version: str
    choice: str  # the guide's first turn: {question}
    round: str  # the guide's later turns: {answer} {feedback} {reminder}
    teacher: str  # system prompt of the symbolic_agent (teacher) guide
    code: str  # instruction to the task model: solve with code
    text: str  # instruction to the task model: solve in text
    reminder: str  # final-format reminder: {answer_format}
    after_code: str  # task model's next user turn after its code ran: {feedback} {guidance}
    self_check: str  # {question} {answer}
    self_check_retry: str  # {problem}
    interpreter: str  # code_interpreter baseline system prompt
    interpreter_next: str  # {feedback}
    estimate: str  # self_estimate baseline: {question}
    summarize: str  # code_text_sum baseline: {question} {code_answer} {text_answer}
    variants: dict[str, str]  # synthesis prompt variants appended to the teacher prompt
    # Letter answers ("Reply with A or B") and the keyword each stands for; empty when
    # the prompts ask for <<<keyword>>> replies.
    choice_options: dict[str, str] = field(default_factory=dict)
    round_options: dict[str, str] = field(default_factory=dict)
    autogen: str = _AUTOGEN_STYLE  # autogen_concat baseline, put before the question

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def options_for(self, round: int) -> dict[str, str]:
        """The lettered options of the guide's turn in `round` (0: the choice turn)."""
        return self.choice_options if round == 0 else self.round_options


_DEFAULT = PromptSet(
    name="default",
    version="1",
    choice=(
        "You are guiding a task model through the question below. The task model can solve "
        "it in one of two ways: by writing a Python program that computes the answer (we run "
        "the program and show you its output), or by reasoning in text. Programs win when the "
        "question needs search, enumeration, exact arithmetic, simulation or checking many "
        "constraints; text wins for short commonsense or language questions where a program "
        "would only restate the reasoning.\n\n"
        "Decide how the task model should start. Reply with <<<Code>>> or <<<Text>>>, or put "
        "more specific advice inside <<< >>>.\n\nQuestion:\n{question}"
    ),
    round=(
        "The task model's latest answer:\n{answer}\n\n{feedback}\n\n"
        "What should the task model do next? Reply inside <<< >>> with one of:\n"
        "- Return Answer: the answer is correct and in the required format;\n"
        "- Terminate: further attempts are unlikely to help;\n"
        "- Code or Text: solve again that way;\n"
        "- or specific guidance for the next attempt (what to fix, which method to use).\n"
        "{reminder}"
    ),
    teacher=(
        "You supervise a task model that solves symbolic problems (planning, puzzles, "
        "arithmetic, constraint satisfaction). Each round you see its answer, the output of "
        "running its code, and two checkers' findings, and you write its next instruction.\n"
        "How to guide well:\n"
        "1. Prefer code for problems with search, counting, exact arithmetic, simulation or "
        "many constraints; prefer text only for short commonsense/language questions.\n"
        "2. The symbolic checker scores how much real computation the code does. A score "
        "below 2 usually means the model hard-coded an answer it reasoned in text: ask for a "
        "program that actually searches or computes (enumeration, backtracking, BFS, a "
        "constraint solver, sympy).\n"
        "3. The self-answer checker ran code that tests the answer against the question. If "
        "it says Correct and the code output agrees, return the answer. If it reports a "
        "violation, say exactly what to fix.\n"
        "4. If code keeps failing (errors, timeouts, wrong output), switch method: text "
        "reasoning, or a different algorithm. If text keeps failing, switch to code.\n"
        "5. Return the answer as soon as it is correct and formatted as required; do not "
        "waste rounds. Terminate only when progress is hopeless.\n"
        "Always reply with your instruction inside <<< >>>: <<<Code>>>, <<<Text>>>, "
        "<<<Return Answer>>>, <<<Terminate>>> or <<<specific guidance>>>."
    ),
    code=(
        "Solve the question below by writing a Python program that computes the answer. "
        "Briefly explain your approach, then give the complete program in one ```python "
        "block. The program must print the final answer in the required format. Compute the "
        "answer with search, enumeration, simulation or symbolic/exact arithmetic; do not "
        "print an answer you worked out by hand."
    ),
    text=(
        "Solve the question below by reasoning step by step in text, without writing code. "
        "Check your reasoning, then end with the final answer in the required format."
    ),
    reminder="Required answer format: {answer_format}",
    after_code="Running your code gave:\n{feedback}\n\n{guidance}",
    self_check=(
        "Here is a question and a proposed answer. Write a Python program that checks "
        "whether the answer is correct by testing it against every condition the question "
        "states (simulate or verify; solving the question again and comparing is a last "
        "resort). The program must print exactly Correct when the answer satisfies every "
        "condition, and otherwise print which condition fails and why. Give the program in "
        "one ```python block.\n\nQuestion:\n{question}\n\nProposed answer:\n{answer}"
    ),
    self_check_retry=(
        "That did not give a verdict: {problem}. Write the checking program again, in one "
        "```python block, printing Correct or the reason the answer is wrong."
    ),
    interpreter=(
        "You can run Python. To run code, put it in a ```python block: you will get its "
        "output back. Use code whenever computing beats reasoning. When you are sure of "
        "the final answer, reply without any code block and give the answer in the "
        "required format."
    ),
    interpreter_next=(
        "Running your code gave:\n{feedback}\n\nContinue. If you have the final answer, "
        "reply without code and give it in the required format."
    ),
    estimate=(
        "Before solving the question below, estimate whether writing and running a Python "
        "program or reasoning in text is more likely to give the correct answer. Reply "
        "with <<<Code>>> or <<<Text>>> only.\n\nQuestion:\n{question}"
    ),
    summarize=(
        "Two attempts at the question below follow: one computed by a program, one reasoned "
        "in text. Decide which final answer is right (or correct both) and give the final "
        "answer in the required format.\n\nQuestion:\n{question}\n\n"
        "Attempt with code (and its output):\n{code_answer}\n\n"
        "Attempt in text:\n{text_answer}"
    ),
    variants={
        "free": "",
        "text_to_code": (
            "For this problem: start with <<<Text>>>; if the text answer does not check out, "
            "switch to code."
        ),
        "more_code": (
            "For this problem: push for code that does real computation; whenever the "
            "symbolic checker's score is below 2, ask for a more thorough program."
        ),
    },
)

# The embedded 135M model ignores "reply <<<Code>>> or <<<Text>>>" (it starts answering
# the question instead) but does answer a lettered choice; see README, "The demo".
_TINY = PromptSet(
    name="tiny",
    version="2",
    choice=(
        "Here is a task:\n{question}\n\nChoose how to solve it.\n"
        "A) Code: write a Python program\nB) Text: reason in words\nReply with A or B only."
    ),
    round=(
        "A helper answered the task:\n{answer}\n\n{feedback}\n\nWhat next?\n"
        "A) Return Answer: the answer is right\nB) Code: try again with a Python program\n"
        "C) Text: try again in words\nReply with A, B or C only."
    ),
    teacher=_DEFAULT.teacher,
    code=(
        "Write a short Python program that computes and prints the answer. Put it in one "
        "```python block. Print the answer like <<<answer>>>."
    ),
    text="Answer in text, without code. Give the answer like <<<answer>>>.",
    reminder="Answer format: {answer_format}",
    after_code="Your code printed:\n{feedback}\n\n{guidance}",
    self_check=(
        "Write a Python program that prints Correct if this answer is right, else prints "
        "the reason. Use one ```python block.\n\nQuestion:\n{question}\n\nAnswer:\n{answer}"
    ),
    self_check_retry="No verdict ({problem}). Write the program again in one ```python block.",
    interpreter=_DEFAULT.interpreter,
    interpreter_next=_DEFAULT.interpreter_next,
    estimate=(
        "Here is a task:\n{question}\n\nWhich way will solve it correctly?\n"
        "A) Code: write a Python program\nB) Text: reason in words\nReply with A or B only."
    ),
    summarize=_DEFAULT.summarize,
    variants=_DEFAULT.variants,
    choice_options={"A": "Code", "B": "Text"},
    round_options={"A": "Return Answer", "B": "Code", "C": "Text"},
)

PROMPT_SETS: dict[str, PromptSet] = {p.name: p for p in (_DEFAULT, _TINY)}


def get_prompts(name: str = "default") -> PromptSet:
    try:
        return PROMPT_SETS[name]
    except KeyError:
        raise UserError(
            f"unknown prompt set {name!r}; choose from {', '.join(PROMPT_SETS)}"
        ) from None
