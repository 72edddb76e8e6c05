"""Every function raises on a line that holds a string literal of 900 KB (filled in by the
test), with the case's arguments in the message so that no two cases' errors are alike: the line
would be quoted in every failed case's feedback (one entry once made 84 MB of results)."""


def _fail(*args):
    raise ValueError(f"no answer for {args!r}"); _ = "{{HUGE}}"


def dense_params(*args, **kwargs): return _fail(*args, kwargs)
def mlp_params(*args, **kwargs): return _fail(*args, kwargs)
def conv2d_params(*args, **kwargs): return _fail(*args, kwargs)
def conv_output_shape(*args, **kwargs): return _fail(*args, kwargs)
def pool_output_shape(*args, **kwargs): return _fail(*args, kwargs)
def model_params(*args, **kwargs): return _fail(*args, kwargs)
def step(*args, **kwargs): return _fail(*args, kwargs)
def relu(*args, **kwargs): return _fail(*args, kwargs)
def tanh_via_sigmoid(*args, **kwargs): return _fail(*args, kwargs)
def softmax(*args, **kwargs): return _fail(*args, kwargs)
def collapse_linear(*args, **kwargs): return _fail(*args, kwargs)
