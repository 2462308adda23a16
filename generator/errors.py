"""The one error hierarchy: every failure the tool reports carries the exit code it ends with.

    0 ok · 1 findings at or above --fail-on · 2 input or usage error · 3 platform or network error ·
    4 internal error (a bug: a short message, the full detail written to a file)

Messages are written for a consultant: what happened, where (file:line: field, workflow and node, the
request without its query or key), and what to do. A message never carries a secret value.
"""

from __future__ import annotations

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_PLATFORM, EXIT_INTERNAL = 0, 1, 2, 3, 4


class HandoverError(Exception):
    """Base of every error the tool reports on purpose. `problems` are the lines shown, `hint` what to do."""

    exit_code = EXIT_INTERNAL

    def __init__(self, problems: list[str] | str, hint: str = ""):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.hint = hint
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems) + (f" — {self.hint}" if self.hint else "")


class InputError(HandoverError):
    """Bad input from a file or argument the user controls (exit 2). Carries every problem, each located."""

    exit_code = EXIT_INPUT


class PlatformError(HandoverError):
    """A platform or network request that failed for good (exit 3). `status` is the HTTP status, if any;
    `detail` the platform's own error text."""

    exit_code = EXIT_PLATFORM

    def __init__(self, message: str, status: int | None = None, hint: str = "", detail: str = ""):
        super().__init__(message, hint)
        self.status = status
        self.detail = detail


class GitError(InputError):
    """Git could not answer: an unknown or malformed revision, a failing or stuck git command (exit 2:
    it is about the folder or revision the user gave)."""


class NotInGit(GitError):
    """The folder is not in a Git repository, or Git is not installed. Callers that work without Git
    (freshness labels, the change log, runbook staleness) catch this one explicitly."""
