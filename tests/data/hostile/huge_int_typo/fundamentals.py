"""An honest typo: `**` for `*` returns an integer of 10001 digits. It used to be dropped on the
result channel (Python reads at most 4300 digits) or, shorter, to raise OverflowError in the
judge; it is judged wrong, saying how large it was."""


def dense_params(input_size, units, use_bias=True):
    return 10 ** 10000 + input_size * units


def mlp_params(sizes):
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))
