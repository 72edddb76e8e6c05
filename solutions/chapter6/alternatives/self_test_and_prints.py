"""Chapter 6 with debug prints, a top-level experiment and a self-test under __main__."""

import keras
import numpy as np


def build_notes_cnn():
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(3),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    print("notes cnn params:", model.count_params())
    return model


def build_small_cnn(input_shape, n_classes):
    print("building small cnn for", input_shape, n_classes)
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, strides=2, activation="relu", name="conv2"),
        keras.layers.Flatten(),
        keras.layers.Dense(n_classes, activation="softmax"),
    ])
    model.summary()
    return model


def feature_map_model(model, layer_names=None):
    names = layer_names if layer_names is not None else [
        layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    print("feature maps of", names)
    return keras.Model(inputs=model.inputs, outputs=[model.get_layer(n).output for n in names])


def build_bars_classifier(input_shape=(12, 12, 1)):
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# a quick experiment at import time
_demo = build_small_cnn((28, 28, 1), 10)
print("small cnn output:", _demo(np.zeros((1, 28, 28, 1), "float32")).shape)


if __name__ == "__main__":
    cnn = build_notes_cnn()
    cnn.summary()
    maps = feature_map_model(cnn)
    print([o.shape for o in maps(np.zeros((2, 32, 32, 3), "float32"))])
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 12, 12, 1)).astype("float32")
    y = rng.integers(0, 2, size=64)
    build_bars_classifier().fit(x, y, epochs=1)
