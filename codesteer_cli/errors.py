"""Errors a user can fix; the CLI prints them as one line, never as a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or environment: unknown task, missing key, unreadable file."""

    exit_code = 2
