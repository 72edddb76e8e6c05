"""Chapter 6 with a two-conv bars classifier trained with integer labels and a logits-free
softmax, a feature-map model that indexes model.layers, and another learning rate."""

import keras


def build_notes_cnn():
    L = keras.layers
    return keras.Sequential([keras.Input((32, 32, 3)), L.Conv2D(16, 3, activation="relu"),
                             L.MaxPooling2D(3, strides=3), L.Flatten(), L.Dense(64, activation="relu"),
                             L.Dense(10, activation="softmax")])


def build_small_cnn(input_shape, n_classes):
    h, w, c = input_shape
    L = keras.layers
    return keras.Sequential([keras.Input((h, w, c)), L.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
                             L.MaxPooling2D(), L.Conv2D(16, 3, 2, activation="relu", name="conv2"),
                             L.Flatten(), L.Dense(n_classes, activation="softmax")])


def feature_map_model(model, layer_names=None):
    if layer_names is None:
        idx = [i for i, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Conv2D)]
    else:
        names = [layer.name for layer in model.layers]
        idx = [names.index(n) for n in layer_names]
    return keras.Model(model.inputs, [model.layers[i].output for i in idx])


def build_bars_classifier(input_shape=(12, 12, 1)):
    L = keras.layers
    model = keras.Sequential([
        keras.Input(input_shape),
        L.Conv2D(8, 3, padding="same", activation="relu"),
        L.Conv2D(8, 3, activation="relu"),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return model
