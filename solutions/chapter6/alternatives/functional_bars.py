"""Chapter 6 with a Functional bars classifier (one sigmoid unit, a BinaryCrossentropy object),
RMSprop, and keras.layers imported by name."""

import keras
from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D


def build_notes_cnn():
    model = keras.Sequential(name="notes_cnn")
    model.add(keras.layers.Input(shape=(32, 32, 3)))
    for layer in [Conv2D(16, 3, activation="relu"), MaxPooling2D(3), Flatten(),
                  Dense(64, activation="relu"), Dense(10, activation="softmax")]:
        model.add(layer)
    return model


def build_small_cnn(input_shape, n_classes):
    stack = [
        Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
        MaxPooling2D(2),
        Conv2D(16, 3, strides=2, padding="valid", activation="relu", name="conv2"),
        Flatten(),
        Dense(n_classes, activation="softmax"),
    ]
    return keras.Sequential([keras.Input(shape=tuple(input_shape))] + stack)


def feature_map_model(model, layer_names=None):
    if layer_names is None:
        layer_names = [layer.name for layer in model.layers if type(layer).__name__ == "Conv2D"]
    return keras.Model(model.inputs, [model.get_layer(n).output for n in layer_names])


def build_bars_classifier(input_shape=(12, 12, 1)):
    inputs = keras.Input(shape=input_shape)
    x = Conv2D(8, (3, 3), activation="relu")(inputs)
    x = MaxPooling2D((2, 2))(x)
    x = Flatten()(x)
    outputs = Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
                  loss=keras.losses.BinaryCrossentropy(), metrics=["accuracy"])
    return model
