"""Loops forever at import, and swallows the grader's soft timeout to keep looping."""
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
