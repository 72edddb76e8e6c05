"""Reference solution of chapter 6: CNNs for vision, written as a student should."""

import keras


def build_notes_cnn():
    return keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        keras.layers.Conv2D(16, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((3, 3)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def build_small_cnn(input_shape, n_classes):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, strides=2, activation="relu", name="conv2"),
        keras.layers.Flatten(),
        keras.layers.Dense(n_classes, activation="softmax"),
    ])


def feature_map_model(model, layer_names=None):
    if layer_names is None:
        layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    else:
        layers = [model.get_layer(name) for name in layer_names]
    return keras.Model(inputs=model.inputs, outputs=[layer.output for layer in layers])


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
