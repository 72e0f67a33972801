"""The settings every kind of run shares: how an episode is played (`EpisodeSettings`) and
how a run executes (`ExecutionSettings`), and the flat JSON a run's config is stored as.

A run's config is a frozen dataclass that embeds both. It is stored flat (the nested
settings' fields beside the config's own), so reports read `config["prompts"]` or
`config["task_model"]` whatever the kind of run. Execution settings are not part of what
a run *is*: a run may be resumed with other values of them.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from codesteer_cli.errors import UserError

MAX_SEED = 2**63 - 1
MAX_CODE_TIMEOUT_S = 3600.0
MAX_TOKENS = 1_000_000
MAX_CONCURRENCY = 1024
PROTOCOLS = ("default", "original")


def check_int(option: str, value: int | None, lo: int, hi: int = MAX_TOKENS) -> None:
    """`value` (when given) is an integer in [lo, hi]."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise UserError(f"{option} must be an integer from {lo:,} to {hi:,}, got {value!r}")


def check_float(
    option: str, value: float | None, lo: float, hi: float = math.inf, lo_open: bool = False
) -> None:
    """`value` (when given) is a finite number in [lo, hi] (or (lo, hi] with `lo_open`)."""
    if value is None:
        return
    bad = not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value)
    if not bad:
        bad = value < lo or value > hi or (lo_open and value == lo)
    if bad:
        low = f"above {lo:g}" if lo_open else f"at least {lo:g}"
        high = "" if hi == math.inf else f" and at most {hi:g}"
        raise UserError(f"{option} must be a finite number {low}{high}, got {value!r}")


def check_name(option: str, value: str | None) -> None:
    """A run name (or reference) users type and tables print: 1-200 printable
    characters, no control characters, not only spaces."""
    if value is None:
        return
    if not value.strip() or len(value) > 200 or not value.isprintable():
        shown = value.encode("unicode_escape").decode()[:60]
        raise UserError(
            f"{option} must be 1 to 200 printable characters (no control characters), got {shown!r}"
        )


@dataclass(frozen=True)
class EpisodeSettings:
    """How one episode is played, whatever runs it (steer, synthesis)."""

    prompts: str = "default"
    max_rounds: int = 5  # guidance rounds after the first answer
    symbolic_checker: bool = True
    self_check: bool = True
    task_max_tokens: int = 2048
    guide_max_tokens: int = 512
    checker_max_tokens: int = 1024
    checker_attempts: int = 2  # Self-answer Checker tries when no verdict comes back
    temperature: float = 0.0  # the task model's
    guide_temperature: float = 0.0
    seed: int | None = None
    code_timeout_s: float = 30.0
    # default: ours; original: the original release's CodeSteer loop (steering/original.py),
    # its strings read from the release whose fingerprint `original_prompts` records.
    protocol: str = "default"
    original_prompts: str | None = None

    def validate(self) -> None:
        from codesteer_cli.steering.prompts import get_prompts

        get_prompts(self.prompts)
        if self.protocol not in PROTOCOLS:
            raise UserError(
                f"--protocol must be one of {', '.join(PROTOCOLS)}, got {self.protocol!r}"
            )
        if self.protocol == "original" and not (self.symbolic_checker and self.self_check):
            raise UserError(
                "--protocol original always runs both checkers, as the original did; "
                "drop --no-symbolic-checker / --no-self-check"
            )
        check_int("--max-rounds", self.max_rounds, 0, 100)
        check_int("--max-tokens", self.task_max_tokens, 1)
        check_int("--guide-max-tokens", self.guide_max_tokens, 1)
        check_int("--checker-max-tokens", self.checker_max_tokens, 1)
        check_int("--checker-attempts", self.checker_attempts, 1, 10)
        check_float("--temperature", self.temperature, 0.0, 10.0)
        check_float("--guide-temperature", self.guide_temperature, 0.0, 10.0)
        check_int("--seed", self.seed, 0, MAX_SEED)
        check_float("--code-timeout", self.code_timeout_s, 0.0, MAX_CODE_TIMEOUT_S, lo_open=True)


@dataclass(frozen=True)
class ExecutionSettings:
    """How a run executes; may change when it is resumed."""

    concurrency: int = 8
    max_cost: float | None = None  # USD; stop starting episodes before passing it
    cache: bool = True  # serve and store model answers through the response cache
    request_timeout: float | None = None  # seconds per sent request; None: the provider's
    # where the original release is (--protocol original): may move between resumes; the
    # strings read from it are pinned by EpisodeSettings.original_prompts
    original_release: str | None = None

    def validate(self) -> None:
        check_int("--concurrency", self.concurrency, 1, MAX_CONCURRENCY)
        check_float("--max-cost", self.max_cost, 0.0)
        check_float("--request-timeout", self.request_timeout, 0.0, 86_400.0)


C = TypeVar("C", bound="RunConfig")
_NESTED = (EpisodeSettings, ExecutionSettings)


@dataclass(frozen=True)
class RunConfig:
    """Base of every run kind's config: identity, flat JSON, validation."""

    KIND: ClassVar[str] = ""
    NOT_IDENTITY: ClassVar[tuple[str, ...]] = ()  # own fields that may change on resume

    execution: ExecutionSettings = field(default=ExecutionSettings(), kw_only=True)

    @property
    def prompt_set(self) -> str:
        episode = getattr(self, "episode", None)
        return episode.prompts if isinstance(episode, EpisodeSettings) else "default"

    @property
    def prompt_id(self) -> str | None:
        """What `runs show` names as the prompts: the set's id, or, for --protocol
        original, the fingerprint of the release's strings (None: our set's id)."""
        episode = getattr(self, "episode", None)
        if isinstance(episode, EpisodeSettings) and episode.protocol == "original":
            return f"original@{episode.original_prompts or '?'}"
        return None

    def validate(self) -> None:
        self.execution.validate()
        episode = getattr(self, "episode", None)
        if isinstance(episode, EpisodeSettings):
            episode.validate()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, _NESTED):
                out.update(dataclasses.asdict(value))
            else:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def identity(self) -> dict[str, Any]:
        skip = {f.name for f in fields(ExecutionSettings)} | set(self.NOT_IDENTITY)
        return {k: v for k, v in self.to_json().items() if k not in skip}

    @classmethod
    def from_json(cls: type[C], d: dict[str, Any]) -> C:
        hints = typing.get_type_hints(cls)
        kw: dict[str, Any] = {}
        for f in fields(cls):
            kind = hints.get(f.name)
            if kind in _NESTED:
                names = {g.name for g in fields(kind)}
                kw[f.name] = kind(**{k: v for k, v in d.items() if k in names})
            elif f.name in d:
                value = d[f.name]
                kw[f.name] = tuple(value) if isinstance(value, list) else value
        try:
            return cls(**kw)
        except TypeError as exc:  # a config stored by an older codesteer
            raise UserError(
                f"this {cls.KIND} run was stored in an older format and cannot be continued "
                f"({exc}); start a new run"
            ) from None

    def resumed_with(self: C, given: RunConfig) -> C:
        """This stored config with the execution settings (and other non-identity
        fields) of `given`, the config the user passed now."""
        keep = {n: getattr(given, n) for n in self.NOT_IDENTITY if hasattr(given, n)}
        return dataclasses.replace(self, execution=given.execution, **keep)

    def differences(self, other: RunConfig) -> list[str]:
        """Identity fields whose values differ from `other`'s."""
        a, b = self.identity(), other.identity()
        return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
