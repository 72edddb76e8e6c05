"""tf-grader: grade TensorFlow/Keras exercises by observing them in a sandbox and judging outside."""

__version__ = "0.1.0"
__all__ = ["notebook_check"]


def __getattr__(name: str):  # noqa: ANN202
    """`from grader import notebook_check`, imported on first use: the sandbox imports this
    package in every child, which must stay cheap. (Its module is not named notebook_check:
    importing it would make the package's attribute of that name the module.)"""
    if name == "notebook_check":
        from grader.in_notebook import notebook_check

        return notebook_check
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
