def dense_params(input_size, units, use_bias=True)
    return input_size * units
