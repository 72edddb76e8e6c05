"""Keras' own answers for the chapter 2 initialiser checks.

`scaled_normal` is Keras' built-in VarianceScaling initialiser set to He's scale (2 / fan_in,
untruncated normal); `seeded_dense` is a Dense layer handed Keras' Glorot uniform initialiser
with the seed and Keras' zeros for the bias. A check judged against this module agrees with
Keras, not with another hand-written formula.
"""

import keras


def scaled_normal(shape, dtype=None):
    init = keras.initializers.VarianceScaling(
        scale=2.0, mode="fan_in", distribution="untruncated_normal"
    )
    return init(shape, dtype=dtype)


def seeded_dense(units, seed):
    return keras.layers.Dense(
        units,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        bias_initializer=keras.initializers.Zeros(),
    )
