"""Imports the reference solution as a module, which it would then hand in as its own: the
grader puts the course root on the worker's PYTHONPATH, and the course is readable on the
grader's machine (the path is also tried by hand)."""
import sys

try:
    from solutions.chapter1.fundamentals import *  # noqa: F403
except Exception:
    sys.path.insert(0, "{{COURSE}}")
    try:
        from solutions.chapter1.fundamentals import *  # noqa: F403
    except Exception:
        pass
