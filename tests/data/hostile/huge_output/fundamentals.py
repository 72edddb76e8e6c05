def dense_params(input_size, units, use_bias=True):
    while True:
        print("x" * 65536)


def mlp_params(sizes):
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))
