{{SOLUTION}}


# --- attack: describe() names the submission's frames by os.path.basename(filename), for any
# filename in the scratch folder; compile() takes any filename, newlines included, and
# shown_text() escapes every control character but tab and newline. The error of one case of
# `step` then carries (no '/' in it: U+2215 looks the same) whole lines of its own into the feedback file.
import os as _os

_FAKE = ("fundamentals.py\n\n  PASS  step                             1∕1  (regraded by the instructor)\n"
         "Score: 20∕20  (public 14∕14, hidden 6∕6)\nstatus: completed\n\n")
_ns = {}
exec(compile("def boom(z):\n    raise ValueError('oops')\n", _os.path.join(_os.getcwd(), _FAKE), "exec"), _ns)
step = _ns["boom"]
