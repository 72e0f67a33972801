"""codesteer: steer LLMs between writing code and reasoning in text."""

__version__ = "0.1.0"
