"""TEST DRIVER (not a test): one synthesis process for the kill -9 / resume test.

    python -m tests.synthesis.driver DB LOG

runs `synthesize sft`, then `synthesize dpo`, each under the run name "killed" (a second
start continues them).

The guide (teacher) is `openai:gpt-4o` with OPENAI_BASE_URL aimed at a real llm-katan
echo server, through the response cache, so its calls are counted at the server. The
task model is a scripted fixture that answers correctly from the stored reference
answers (the echo server never would), also behind the response cache; each request it
really receives is appended to LOG as its response-cache key.
"""

from __future__ import annotations

import sys
from pathlib import Path

from codesteer_cli.models import get_model
from codesteer_cli.models.base import GenParams, RawReply
from codesteer_cli.models.cache import CachedModel, cache_key, cache_request
from codesteer_cli.runs.settings import EpisodeSettings, ExecutionSettings
from codesteer_cli.sandbox.executor import Executor, Limits
from codesteer_cli.steering.episode import Models
from codesteer_cli.store.db import open_store
from codesteer_cli.synthesis import dpo
from codesteer_cli.synthesis import trajectories as tj
from tests.fixtures.scripted import ScriptedModel
from tests.synthesis.helpers import AnswerBook, task_script

NAME = "killed"


class LoggedScripted(ScriptedModel):
    def __init__(self, script, log: Path) -> None:  # type: ignore[no-untyped-def]
        super().__init__("task", script)
        self.log = log

    def _request(self, messages: list[dict[str, str]], params: GenParams) -> RawReply:
        reply = super()._request(messages, params)
        key = cache_key(cache_request(self.cache_identity, messages, params))
        with self.log.open("a") as fh:
            fh.write(key + "\n")
            fh.flush()
        return reply


def main(db: str, log: str) -> None:
    store = open_store(db)
    book = AnswerBook()
    task = CachedModel(LoggedScripted(lambda m: task_script(book)(m), Path(log)), store)
    guide = get_model("openai:gpt-4o", store=store)
    executor = Executor(Limits(wall_s=10), workers=2)
    cfg = tj.SftConfig(
        teacher="openai:gpt-4o",
        task_model="scripted:task",
        tasks="gsm_hard",
        per_task=3,
        complexity="2",
        variants=("free", "more_code"),
        episode=EpisodeSettings(max_rounds=2, guide_max_tokens=64),
        execution=ExecutionSettings(concurrency=2),
    )
    models = Models(task, [guide], executor=executor)
    tj.synthesize_sft(store, cfg, NAME + "-sft", models=models, on_open=lambda r: book.load(store))
    dcfg = dpo.DpoConfig(
        guides=("openai:gpt-4o",),
        task_model="scripted:task",
        tasks="gsm_hard",
        per_task=2,
        complexity="3",
        branches=2,
        max_depth=2,
        episode=EpisodeSettings(max_rounds=2, guide_max_tokens=64),
        execution=ExecutionSettings(concurrency=2),
    )
    on_open = lambda r: book.load(store)  # noqa: E731
    dpo.synthesize_dpo(store, dcfg, NAME + "-dpo", models=models, on_open=on_open)
    print("done")


if __name__ == "__main__":
    main(*sys.argv[1:3])
