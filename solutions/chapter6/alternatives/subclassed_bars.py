"""Chapter 6 with the bars classifier as a subclassed keras.Model whose call uses tf.nn functions
(the task does not ask for Sequential there), and feature maps picked in a loop."""

import keras
import tensorflow as tf


def build_notes_cnn():
    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),
            keras.layers.Conv2D(16, (3, 3), activation=tf.nn.relu),
            keras.layers.MaxPooling2D((3, 3)),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation=keras.activations.relu),
            keras.layers.Dense(10, activation=keras.activations.softmax),
        ]
    )


def build_small_cnn(input_shape, n_classes):
    conv1 = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")
    conv2 = keras.layers.Conv2D(16, 3, strides=2, activation="relu", name="conv2")
    return keras.Sequential([keras.Input(input_shape), conv1, keras.layers.MaxPooling2D(2), conv2,
                             keras.layers.Flatten(), keras.layers.Dense(n_classes, activation="softmax")])


def feature_map_model(model, layer_names=None):
    if layer_names is None:
        wanted = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    else:
        wanted = []
        for name in layer_names:
            wanted.append(model.get_layer(name))
    outs = []
    for layer in wanted:
        outs.append(layer.output)
    return keras.models.Model(inputs=model.inputs, outputs=outs)


class BarsNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = keras.layers.Conv2D(8, 3)
        self.pool = keras.layers.MaxPooling2D(2)
        self.flat = keras.layers.Flatten()
        self.out = keras.layers.Dense(2)

    def call(self, x):
        x = tf.nn.relu(self.conv(x))
        x = self.flat(self.pool(x))
        return tf.nn.softmax(self.out(x))


def build_bars_classifier(input_shape=(12, 12, 1)):
    model = BarsNet()
    model.build((None, *input_shape))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return model
