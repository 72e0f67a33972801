"""Options of `train sft` beyond the shared ones (`config.py`): which guide turns carry the
loss. Paper (SPEC §5): SFT 10 epochs at lr 1e-5."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from codesteer_cli.training.config import TrainOptions, choice

# last: the final guide turn of each example (our JSONL holds one example per guide turn,
# the earlier turns as context); all: every guide turn, as LLaMA-Factory trains the
# original release's alpaca-with-history data.
TRAIN_ON = ("last", "all")


@dataclass
class SFTOptions(TrainOptions):
    KIND: ClassVar[str] = "sft"

    epochs: float = 10.0
    lr: float = 1e-5
    train_on: str = "last"

    def validate(self) -> None:
        super().validate()
        choice("--train-on", self.train_on, TRAIN_ON)
