{{SOLUTION}}


# --- attack (or an honest student's surrogateescape text): a string that cannot be written as
# UTF-8, returned and raised. The event holding it could not be sent, and the child stopped: every
# check of the run was lost and the sandbox blamed. Only these two checks may lose their points.
def step(z):
    raise ValueError("bad \udcff input")


def relu(z):
    return {"\ud800": "\udcff"}
