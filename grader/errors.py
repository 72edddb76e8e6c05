"""Errors the user can fix, and the exit codes the CLI gives them."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # the run completed, whatever the score
    FAILED = 1  # `grade validate`: a reference, stub or planted mistake scored as it must not
    BAD_INPUT = 2  # no such chapter, unreadable submission, bad option
    SANDBOX = 3  # the sandbox itself could not start (not the submission's fault)
    NOT_GRADED = 4  # the grader could not grade everything (its reference, its own error, a lost
    # worker, a starved machine): not the submission's fault; the same command grades it again
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it); a batch keeps every row it wrote


class GraderError(Exception):
    """An error with a one-line message for the user; the CLI prints it, never a traceback."""

    exit_code = ExitCode.BAD_INPUT


class BadInput(GraderError):
    exit_code = ExitCode.BAD_INPUT


class SandboxError(GraderError):
    exit_code = ExitCode.SANDBOX


class NotGraded(GraderError):
    exit_code = ExitCode.NOT_GRADED
