"""tf-grader: grade TensorFlow/Keras exercises by observing them in a sandbox and judging outside."""

__version__ = "0.1.0"
