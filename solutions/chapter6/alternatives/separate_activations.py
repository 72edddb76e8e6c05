"""Chapter 6 with activations as their own layers where the task leaves the layers free (the bars
classifier), keras.layers aliases (MaxPool2D) and loss/optimizer objects."""

from keras import layers, losses, optimizers, Input, Model, Sequential


def build_notes_cnn():
    return Sequential([
        Input((32, 32, 3)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPool2D(3),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def build_small_cnn(input_shape, n_classes):
    return Sequential([
        Input(input_shape),
        layers.Conv2D(8, kernel_size=3, padding="same", activation="relu", name="conv1"),
        layers.MaxPool2D(pool_size=2, strides=2),
        layers.Conv2D(16, kernel_size=3, strides=2, activation="relu", name="conv2"),
        layers.Flatten(),
        layers.Dense(n_classes, activation="softmax"),
    ], name="small_cnn")


def feature_map_model(model, layer_names=None):
    chosen = []
    for layer in model.layers:
        if layer_names is None and isinstance(layer, layers.Conv2D):
            chosen.append(layer)
    if layer_names is not None:
        by_name = {layer.name: layer for layer in model.layers}
        chosen = [by_name[name] for name in layer_names]
    return Model(model.inputs, [layer.output for layer in chosen], name="feature_maps")


def build_bars_classifier(input_shape=(12, 12, 1)):
    model = Sequential([
        Input(shape=input_shape),
        layers.Conv2D(8, 3),
        layers.ReLU(),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(2),
        layers.Activation("softmax"),
    ])
    model.compile(optimizer=optimizers.Adam(0.01), loss=losses.SparseCategoricalCrossentropy())
    return model
