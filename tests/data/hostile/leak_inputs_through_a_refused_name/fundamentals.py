{{SOLUTION}}


# --- attack: a refused operation is reported in the feedback, which students see even for hidden
# checks; an operation named after the hidden inputs (a path to a "mem" file, a name added to a
# grader module) carried them there. The secret here stands for such inputs.
import grader.checks as _checks

_softmax = softmax


def softmax(z):
    try:
        open("/leak/SECRET-INPUTS-1092.981/mem")
    except Exception:
        pass
    setattr(_checks, "SECRET_INPUTS_1092", 1)
    return _softmax(z)
