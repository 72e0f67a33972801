"""Writing one episode's turns and code runs to the store, as they happen."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codesteer_cli.store import turns
from codesteer_cli.store.models import utcnow

if TYPE_CHECKING:
    from codesteer_cli.models.base import Completion
    from codesteer_cli.sandbox.executor import ExecResult
    from codesteer_cli.store.db import Store

ROLE_TIME = {"task": "task_model", "guide": "guide", "checker": "checkers", "summary": "task_model"}


@dataclass
class Tally:
    """Tokens, cost and time of one episode, by role."""

    tokens: dict[str, int] = field(default_factory=dict)  # role -> in + out
    cost: float = 0.0
    cost_unknown: bool = False
    time: dict[str, float] = field(
        default_factory=lambda: {"task_model": 0.0, "guide": 0.0, "code": 0.0, "checkers": 0.0}
    )
    calls: int = 0
    cached_calls: int = 0

    def to_extra(self) -> dict[str, Any]:
        """The tally as an episode's `extra` stores it."""
        return {
            "time": {k: round(v, 4) for k, v in self.time.items()},
            "tokens": dict(self.tokens),
            "cost_usd": self.cost,
            "cost_unknown": self.cost_unknown,
            "calls": self.calls,
            "cached_calls": self.cached_calls,
        }


class EpisodeRecorder:
    """Appends turns (`seq` in order) and code executions of one episode."""

    def __init__(self, store: Store, episode_id: int) -> None:
        self.store = store
        self.episode_id = episode_id
        self.seq = 0
        self.tally = Tally()
        self._lock = threading.Lock()

    def turn(
        self,
        role: str,
        round_: int,
        messages: list[dict[str, str]],
        comp: Completion,
        params: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        code_run: tuple[str, str, ExecResult] | None = None,
    ) -> int:
        """Store one model call (and the code it led to, as (purpose, code, result))."""
        u = comp.usage
        t = self.tally
        t.calls += 1
        t.cached_calls += comp.cached
        t.tokens[role] = t.tokens.get(role, 0) + (u.tokens_in or 0) + (u.tokens_out or 0)
        if u.cost_usd is None:
            t.cost_unknown = True
        else:
            t.cost += u.cost_usd
        if not comp.cached:
            t.time[ROLE_TIME.get(role, role)] += u.latency_s
        if u.tokens_estimated:
            extra = {**(extra or {}), "tokens_estimated": True}
        with self._lock:
            seq = self.seq
            self.seq += 1
        row = {
            "episode_id": self.episode_id,
            "seq": seq,
            "round": round_,
            "role": role,
            "model": comp.model,
            "messages": messages,
            "response": comp.text,
            "params": params,
            "tokens_in": u.tokens_in,
            "tokens_out": u.tokens_out,
            "latency_s": u.latency_s,
            "cost_usd": u.cost_usd,
            "cached": comp.cached,
            "error": comp.error,
            "extra": extra,
            "created_at": utcnow(),
        }
        turn_id = turns.add_turn(self.store, row, code_run)
        if code_run is not None:
            t.time["code" if code_run[0] == "answer" else "checkers"] += code_run[2].duration_s
        return turn_id

    def code_run(self, turn_id: int, purpose: str, code: str, result: ExecResult) -> None:
        """A code run of its own (not one a model call led to), shown with `turn_id`."""
        turns.add_code_run(self.store, self.episode_id, turn_id, purpose, code, result)
        self.tally.time["code"] += result.duration_s
