"""The local engine interface: a model that runs on this machine, whatever runs it.

Two engines serve local weights, each where it wins on a CPU (see
benchmarks/local_throughput.py): llama.cpp (`providers/llamacpp.py`, through the
prebuilt `xllamacpp`: a GGUF served in process with `n_parallel` slots and continuous
batching) and transformers (`providers/hf.py`: fp32 weights, concurrent requests
batched into one `generate`). Both are `LocalModel`s: no price, exact token counts,
no retries (a local failure would fail again), no request timeout unless one is set,
and then its clock starts when the request starts running, never while it waits.

CPU threads: the cores are shared with the sandbox, which runs model-written code
while other episodes generate. Both engines wait passively (`OMP_WAIT_POLICY=PASSIVE`,
set before either OpenMP runtime starts), so a waiting engine thread gives its core to
the code that needs it instead of spinning on it; `threads()` is the count they use.
"""

from __future__ import annotations

import os
from typing import Any

from codesteer_cli.models.base import ChatModel, Failure

ENGINES = ("llama.cpp", "transformers")


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def threads() -> int:
    """Threads an engine computes with: $CODESTEER_THREADS, else every core we have."""
    forced = os.environ.get("CODESTEER_THREADS", "").strip()
    if forced.isdigit() and int(forced) > 0:
        return int(forced)
    return cpu_count()


def passive_waits() -> None:
    """Make OpenMP threads sleep, not spin, while they wait (unless the user chose).

    Spinning threads of a 2-thread engine collapse its speed (and the sandbox's) as soon
    as another process takes one core: ~1.4 tok/s instead of ~30 measured here. Only an
    OpenMP runtime loaded after this call reads it, so engines call it before import."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class LocalModel(ChatModel):
    """Base of the local engines; `engine` names which one serves the weights."""

    local = True
    default_concurrency = None  # engines size their own slots or batches
    default_timeout_s = None  # no limit: a local request is slow, never stuck
    engine: str = ""

    def _classify(self, exc: BaseException) -> Failure:
        # Out of memory, a prompt longer than the context, a timeout that was set: the
        # same request would fail again the same way, so no retries.
        if isinstance(exc, TimeoutError):
            return Failure("timeout", False)
        return Failure("other", False)

    def engine_info(self) -> dict[str, Any]:
        """What `codesteer models` / `doctor` show about this engine."""
        return {"engine": self.engine, "threads": threads()}
