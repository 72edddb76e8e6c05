"""Chapter 6 as a student who answers the bars task with one sigmoid unit and binary crossentropy,
and builds the Sequential models with .add()."""

import keras


def build_notes_cnn():
    model = keras.Sequential()
    model.add(keras.Input(shape=(32, 32, 3)))
    model.add(keras.layers.Conv2D(filters=16, kernel_size=(3, 3), activation="relu"))
    model.add(keras.layers.MaxPooling2D(pool_size=(3, 3)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(units=64, activation="relu"))
    model.add(keras.layers.Dense(units=10, activation="softmax"))
    return model


def build_small_cnn(input_shape, n_classes):
    model = keras.Sequential()
    model.add(keras.Input(shape=input_shape))
    model.add(keras.layers.Conv2D(8, (3, 3), padding="same", activation="relu", name="conv1"))
    model.add(keras.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(keras.layers.Conv2D(16, (3, 3), strides=(2, 2), padding="valid", activation="relu", name="conv2"))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(n_classes, activation="softmax"))
    return model


def feature_map_model(model, layer_names=None):
    if layer_names is None:
        layer_names = [l.name for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    outputs = [model.get_layer(name).output for name in layer_names]
    return keras.Model(inputs=model.inputs, outputs=outputs)


def build_bars_classifier(input_shape=(12, 12, 1)):
    model = keras.Sequential()
    model.add(keras.Input(shape=input_shape))
    model.add(keras.layers.Conv2D(8, 3, activation="relu"))
    model.add(keras.layers.MaxPooling2D())
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model
