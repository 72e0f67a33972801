"""Training data for the guide (SPEC §4): SFT trajectories from a teacher guide
(`trajectories`), DPO pairs from trees of guidance continuations (`tree`), the TRL files
(`export`) and what they cost (`stats`)."""
