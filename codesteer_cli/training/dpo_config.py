"""Options of `train dpo`: the shared ones plus beta and the loss, with the paper's defaults.

Paper (SPEC §5): DPO 6 epochs at lr 5e-6, sigmoid loss, beta 0.1, batch size 4. The
reference model is the SFT model: with `--lora`, the policy's adapter disabled (or a
frozen copy of the SFT adapter when `--base` is itself an adapter); with `--full`, a
frozen copy of the starting weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from codesteer_cli.errors import UserError
from codesteer_cli.training.config import TrainOptions, choice

LOSS_TYPES = ("sigmoid", "ipo", "hinge", "robust")


@dataclass
class DPOOptions(TrainOptions):
    KIND: ClassVar[str] = "dpo"

    epochs: float = 6.0
    lr: float = 5e-6
    beta: float = 0.1
    loss_type: str = "sigmoid"

    def validate(self) -> None:
        super().validate()
        choice("--loss-type", self.loss_type, LOSS_TYPES)
        if self.beta <= 0:
            raise UserError(f"--beta must be positive, got {self.beta}")
