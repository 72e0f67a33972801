"""The task contract, the registry and the sample type shared by all SymBench tasks."""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
import random
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

from symbench.answers import Extraction, extract_answer

Split = Literal["train", "test"]
SPLITS: tuple[Split, ...] = ("train", "test")
MIN_COMPLEXITY, MAX_COMPLEXITY = 1, 10
FAMILIES = ("computation", "planning", "bbh", "math", "logic_game")


class SymbenchError(ValueError):
    """A user-facing problem: unknown task, bad complexity, unreadable data."""


@dataclass(frozen=True)
class Sample:
    """One benchmark problem: the question shown to a model plus what checks its answer.

    `data` holds the structured problem (everything the verifier needs); `answer` is a
    reference answer in the form a model is asked to write it (usually `<<<...>>>`).
    """

    task: str
    question: str
    data: dict[str, Any]
    answer: str
    split: Split = "test"
    complexity: int | None = None
    seed: int | None = None
    origin: str = "generated"

    @property
    def content_hash(self) -> str:
        return content_hash(self.task, self.question)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["content_hash"] = self.content_hash
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Sample:
        keys = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in keys})


def content_hash(task: str, question: str) -> str:
    """Identity of a problem: the task and its exact question text."""
    return hashlib.sha256(f"{task}\x00{question}".encode()).hexdigest()


def split_of_hash(h: str) -> Split:
    """Which split a problem belongs to, decided by its content alone.

    Generated train and test samples can then never be the same problem, on any machine,
    whatever seeds were used: a generator skips candidates of the other split.
    """
    return "test" if int(h[:8], 16) % 2 == 0 else "train"


@dataclass(frozen=True)
class Verdict:
    """The verifier's judgement of one answer text."""

    score: float
    extraction: Extraction
    detail: str = ""
    partial: bool = False  # score is partial credit (boxlift, boxnet), not all-or-nothing

    @property
    def correct(self) -> bool:
        return self.score >= 1.0


class Task:
    """Base class of a SymBench task. Subclasses live one per module in `symbench.tasks`.

    A subclass sets the class attributes and implements `build`, `solve`, `check`,
    `perturb`, `size` and `knobs`; `import_original` when the original release has data.
    """

    id: ClassVar[str]
    split: ClassVar[Literal["seen", "unseen"]]
    family: ClassVar[str]
    description: ClassVar[str]
    answer_format: ClassVar[str]
    # Folder (or file) names of this task in the original release, relative to its root.
    original_paths: ClassVar[tuple[str, ...]] = ()
    # Original samples whose stored reference answer is itself wrong: origin -> why.
    known_bad: ClassVar[dict[str, str]] = {}
    # Whether `check` may give partial credit (SPEC: boxlift, boxnet).
    partial_credit: ClassVar[bool] = False

    # --- what a task implements -------------------------------------------------------
    def knobs(self, complexity: int) -> dict[str, Any]:
        """The task's own parameters for a complexity level (documented mapping)."""
        raise NotImplementedError

    def build(self, knobs: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
        """Make one problem: (question text, structured data)."""
        raise NotImplementedError

    def solve(self, sample: Sample) -> str:
        """Find an answer symbolically; returns answer text as a model should write it."""
        raise NotImplementedError

    def check(self, sample: Sample, answer: str) -> tuple[float, str]:
        """Score an extracted answer string: (score in [0, 1], detail for a human)."""
        raise NotImplementedError

    def perturb(self, sample: Sample, answer_text: str, rng: random.Random) -> str:
        """A plausible but wrong answer text derived from a correct one (for tests)."""
        raise NotImplementedError

    def size(self, sample: Sample) -> float:
        """A measure of how big the problem is (cells, digits, moves); grows with complexity."""
        raise NotImplementedError

    def import_original(self, root: Path) -> Iterator[Sample]:
        """Read this task's samples from a folder laid out like the original release."""
        return iter(())

    def problem_key(self, sample: Sample) -> str:
        """The problem's identity whatever its wording: two samples with the same key are
        the same problem. Default: the question text; tasks whose original samples are
        worded differently from generated ones override it with their data."""
        return sample.content_hash

    # --- shared behaviour -------------------------------------------------------------
    def generate(self, complexity: int, seed: int, split: Split = "test") -> Sample:
        """A deterministic sample for (complexity, seed, split), solvable by `solve`."""
        check_complexity(complexity)
        if split not in SPLITS:
            raise SymbenchError(f"unknown split {split!r}: use train or test")
        knobs = self.knobs(complexity)
        for attempt in range(10_000):
            rng = random.Random(f"{self.id}|{complexity}|{seed}|{attempt}")
            question, data = self.build(knobs, rng)
            if split_of_hash(content_hash(self.id, question)) != split:
                continue
            sample = Sample(self.id, question, data, "", split, complexity, seed, "generated")
            answer = self.solve(sample)
            return Sample(self.id, question, data, answer, split, complexity, seed, "generated")
        raise SymbenchError(f"{self.id}: could not generate a {split} sample at {complexity}")

    def verify(self, sample: Sample, answer_text: str) -> Verdict:
        """Extract the answer from a model's text and check it against the problem."""
        ext = extract_answer(answer_text)
        if ext.value is None:
            return Verdict(0.0, ext, "no answer found")
        try:
            score, detail = self.check(sample, ext.value)
        except (
            ValueError,
            TypeError,
            KeyError,
            IndexError,
            ArithmeticError,
            SyntaxError,
            RecursionError,
        ) as exc:
            score, detail = 0.0, f"unreadable answer: {type(exc).__name__}: {exc}"[:300]
        score = min(1.0, max(0.0, float(score)))
        return Verdict(score, ext, detail, partial=self.partial_credit and 0 < score < 1)


def check_complexity(complexity: int) -> None:
    if not isinstance(complexity, int) or not MIN_COMPLEXITY <= complexity <= MAX_COMPLEXITY:
        raise SymbenchError(
            f"complexity must be an integer from {MIN_COMPLEXITY} to {MAX_COMPLEXITY}, "
            f"got {complexity!r}"
        )


def lerp(complexity: int, lo: float, hi: float) -> float:
    """Map complexity 1..10 linearly onto lo..hi."""
    return lo + (hi - lo) * (complexity - MIN_COMPLEXITY) / (MAX_COMPLEXITY - MIN_COMPLEXITY)


def ilerp(complexity: int, lo: int, hi: int) -> int:
    """Integer version of `lerp`, rounded."""
    return round(lerp(complexity, lo, hi))


# --- registry ---------------------------------------------------------------------------
_REGISTRY: dict[str, Task] = {}
_LOADED = False


def register(cls: type[Task]) -> type[Task]:
    """Class decorator: make a task available under its `id`."""
    for attr in ("id", "split", "family", "description", "answer_format"):
        if not hasattr(cls, attr):
            raise TypeError(f"{cls.__name__} must define {attr}")
    if cls.family not in FAMILIES:
        raise TypeError(f"{cls.__name__}: family {cls.family!r} not in {FAMILIES}")
    if cls.id in _REGISTRY and type(_REGISTRY[cls.id]) is not cls:
        raise TypeError(f"task id {cls.id!r} registered twice")
    _REGISTRY[cls.id] = cls()
    return cls


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    import symbench.tasks as pkg

    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"symbench.tasks.{mod.name}")
    _LOADED = True


def all_tasks() -> list[Task]:
    """Every registered task, seen before unseen, then by id."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda t: (t.split != "seen", t.id))


def get_task(task_id: str) -> Task:
    # Each task lives in the module of its id: import only that one (the math tasks pull
    # in sympy, over a second), and all of them only for an id not found so.
    if task_id not in _REGISTRY and task_id.isidentifier() and not task_id.startswith("_"):
        try:
            importlib.import_module(f"symbench.tasks.{task_id}")
        except ModuleNotFoundError as e:
            if e.name != f"symbench.tasks.{task_id}":
                raise
    if task_id not in _REGISTRY:
        _load_all()
    try:
        return _REGISTRY[task_id]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise SymbenchError(f"unknown task {task_id!r}; known tasks: {known}") from None


def select_tasks(spec: str) -> list[Task]:
    """Tasks from `all`, `seen`, `unseen`, a family name, or a comma list of ids."""
    tasks = all_tasks()
    out: list[Task] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part == "all":
            chosen = tasks
        elif part in ("seen", "unseen"):
            chosen = [t for t in tasks if t.split == part]
        elif part in FAMILIES:
            chosen = [t for t in tasks if t.family == part]
        else:
            chosen = [get_task(part)]
        out.extend(t for t in chosen if t not in out)
    if not out:
        raise SymbenchError(f"no tasks selected by {spec!r}")
    return out


def parse_complexity(spec: str) -> list[int]:
    """`5` -> [5]; `3-7` -> [3..7]; `1,5,10` -> [1, 5, 10]."""
    levels: list[int] = []
    try:
        for part in (p.strip() for p in str(spec).split(",")):
            if "-" in part[1:]:
                lo, hi = part.split("-", 1)
                levels.extend(range(int(lo), int(hi) + 1))
            else:
                levels.append(int(part))
    except ValueError:
        raise SymbenchError(f"bad complexity {spec!r}: use N, A-B or a comma list") from None
    if not levels:
        raise SymbenchError(f"bad complexity {spec!r}: empty range")
    for c in levels:
        check_complexity(c)
    return sorted(set(levels))


# --- helpers for task modules -----------------------------------------------------------
def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# A folder name that states a complexity level: complexity_3, level-3, Difficulty3, ..._level_3.
_STATED_LEVEL = re.compile(r"(?:^|[_\- ])(?:complexity|level|difficulty)[_\- ]?(\d+)$", re.I)
# Further sets of a task in the original release: its folder's name + _2, _hard, _SFT, ...
_SET_SUFFIX = re.compile(r"(?:_(?:\d+|hard|easy|SFT))+", re.I)
_MAX_DEPTH = 8  # how deep a set's nesting is looked into (symlink loops end here)


def _natural(name: str) -> tuple:
    parts = name.replace("-", "_").split("_")
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in parts)


def sample_dirs(folder: Path) -> list[Path]:
    """The sample folders under `folder`, at any depth, in natural order.

    A folder that holds a file (or nothing at all) is a sample; one that holds only
    folders (a complexity level, a group) is looked into. The flat layout of the original
    release (`set/sample_N/`) and nested ones (`set/complexity_3/sample_N/`) read alike.
    """
    found: list[Path] = []

    def walk(d: Path, depth: int) -> None:
        for p in d.iterdir():
            if not p.is_dir():
                continue
            children = list(p.iterdir())
            if depth >= _MAX_DEPTH or not children or any(not c.is_dir() for c in children):
                found.append(p)
            else:
                walk(p, depth + 1)

    walk(folder, 1)
    return sorted(found, key=lambda p: tuple(_natural(x) for x in p.relative_to(folder).parts))


def origin_of(root: Path, folder: Path) -> str:
    """A sample's origin: its folder relative to the release root (`set/.../sample_N`)."""
    return folder.relative_to(root).as_posix()


def stated_complexity(origin: str) -> int | None:
    """The complexity a folder on a sample's path states (innermost wins), if it is on our
    scale (1-10); `eight_queens_dataset/complexity_3/sample_0` -> 3."""
    for part in reversed(origin.split("/")[:-1]):
        m = _STATED_LEVEL.search(part)
        if m:
            level = int(m.group(1))
            return level if MIN_COMPLEXITY <= level <= MAX_COMPLEXITY else None
    return None


def set_variants(root: Path, name: str) -> list[str]:
    """Further sets of the original folder `name` under `root`: `name_2`, `name_hard`,
    `name_SFT` (for a `stem_dataset` also `stem_hard` and `stem_hard_dataset`), in
    natural order."""
    if "/" in name:
        return []
    heads = [name] + ([name.removesuffix("_dataset")] if name.endswith("_dataset") else [])
    found = []
    for p in root.iterdir():
        if not p.is_dir() or p.name == name:
            continue
        for head in heads:
            tail = p.name[len(head) :] if p.name.startswith(head) else ""
            if head != name:  # eight_queens_dataset -> eight_queens_hard(_dataset)
                tail = tail.removesuffix("_dataset")
            if tail and _SET_SUFFIX.fullmatch(tail):
                found.append(p.name)
                break
    return sorted(found, key=_natural)


def set_split(name: str) -> Split:
    """The split of an original set: `*_SFT` sets fed the original's training data."""
    return "train" if re.search(r"_SFT(?:_|$)", name, re.I) else "test"


@dataclass
class ImportReport:
    """What an import found for one task."""

    task: str
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)  # the release folders read


def _import_variant(task: Task, root: Path, path: str, variant: str) -> list[Sample]:
    """Read set `variant` with the task's own importer: a temporary root where `path`
    links to it, so the importer sees the layout it knows; origins name the variant."""
    with tempfile.TemporaryDirectory(prefix="symbench-set-") as tmp:
        view = Path(tmp)
        (view / path).symlink_to((root / variant).resolve(), target_is_directory=True)
        out = []
        for s in task.import_original(view):
            rest = s.origin[len(path) :] if s.origin.startswith(path + "/") else "/" + s.origin
            out.append(replace(s, origin=variant + rest, split=set_split(variant)))
        return out


def import_release(root: Path, only: Callable[[Task], bool] | None = None) -> list[ImportReport]:
    """Import every task whose original folders are present under `root`: its own sets,
    their variants (`*_2`, `*_hard`, `*_SFT`; `*_SFT` as training samples), any nesting
    of sample folders, and the complexity a folder name states."""
    root = Path(root)
    if not root.is_dir():
        raise SymbenchError(f"cannot read import folder {str(root)!r}: not a directory")
    errors = (OSError, ValueError, KeyError, IndexError, TypeError)
    reports: list[ImportReport] = []
    for task in all_tasks():
        if only is not None and not only(task):
            continue
        own = [p for p in task.original_paths if (root / p).exists()]
        variants = [(p, v) for p in task.original_paths for v in set_variants(root, p)]
        if not own and not variants:
            continue
        rep = ImportReport(task.id, sets=own + [v for _, v in variants])
        if own:
            try:
                rep.samples.extend(task.import_original(root))
            except errors as exc:
                rep.errors.append(f"{type(exc).__name__}: {exc}")
        for path, variant in variants:
            try:
                rep.samples.extend(_import_variant(task, root, path, variant))
            except errors as exc:
                rep.errors.append(f"{variant}: {type(exc).__name__}: {exc}")
        rep.samples = [
            replace(s, complexity=stated_complexity(s.origin))
            if s.complexity is None and stated_complexity(s.origin) is not None
            else s
            for s in rep.samples
        ]
        reports.append(rep)
    return reports
