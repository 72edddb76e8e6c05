"""Chapter 6 - CNNs for vision.

Fill in every function below, then run `grade chapter6`.

Build the models with Keras (`import keras`). Every model takes images shaped
(height, width, channels), without the batch axis, through `keras.Input(shape=...)`.

`build_notes_cnn` and `build_small_cnn` are graded on their form as well as on what they
compute: the grader compares their layer table (each layer's class, output shape and parameter
count, as `model.summary()` lists them), so there the layers must be exactly the ones listed,
each activation in its layer's `activation=` argument rather than a layer of its own. Elsewhere
only behaviour is graded: the feature maps returned, and what the bars classifier learns.
"""

import keras


def build_notes_cnn():
    """The course notes' CNN, as a `keras.Sequential` model on 32x32 RGB images.

    It must match this table exactly (model.summary(); None is the batch axis):

        Layer           Output shape         Params
        Conv2D          (None, 30, 30, 16)      448    16 filters, 3x3 kernel, ReLU
        MaxPooling2D    (None, 10, 10, 16)        0    3x3 window
        Flatten         (None, 1600)              0
        Dense           (None, 64)           102464    ReLU
        Dense           (None, 10)              650    softmax
        Total params: 103,562

    Use exactly these five layers after the Input, in this order.
    """
    raise NotImplementedError("build_notes_cnn")


def build_small_cnn(input_shape, n_classes):
    """A small two-conv CNN as a `keras.Sequential` model, for any `input_shape` and any number
    of classes. Exactly these layers after the Input, in this order:

        1. Conv2D named "conv1": 8 filters, 3x3 kernel, ReLU, padding that keeps height and width
        2. MaxPooling2D: 2x2 window
        3. Conv2D named "conv2": 16 filters, 3x3 kernel, stride 2, no padding, ReLU
        4. Flatten
        5. Dense: `n_classes` units, softmax

    On (28, 28, 1) images with 10 classes the output shapes are (None, 28, 28, 8),
    (None, 14, 14, 8), (None, 6, 6, 16), (None, 576) and (None, 10): 7,018 parameters in all.
    """
    raise NotImplementedError("build_small_cnn")


def feature_map_model(model, layer_names=None):
    """A new `keras.Model` that shares `model`'s input and returns feature maps.

    `model` is a built Sequential (or Functional) model. With `layer_names` (a list of layer
    names), the new model's outputs are the outputs of those layers, in the order given. With
    `layer_names=None`, the outputs are those of every Conv2D layer of `model`, in order.
    Always give the new model a list of outputs, even for one layer (`outputs=[...]`: its
    `.output` is then a list whatever the number of layers). The new model reuses the layers (and
    therefore the weights) of `model`: build it from `model.inputs` and its layers' outputs,
    do not create new layers. (Use `model.inputs`, not `model.input`: in Keras 3 a Sequential
    model's `.input` raises "has never been called" even after it has been used.)
    """
    raise NotImplementedError("feature_map_model")


def build_bars_classifier(input_shape=(12, 12, 1)):
    """A small CNN, built AND compiled, that tells horizontal bars (label 0) from vertical bars
    (label 1) in grey images of `input_shape`.

    The grader makes a few hundred noisy images, each with one bright full-length bar, calls
    `model.fit(x, y, epochs=5, batch_size=32)` with integer labels 0/1 and a fixed seed, then
    predicts on fresh images: it must reach at least 0.9 validation accuracy.

    The output is either 2 softmax units (class = argmax) or 1 sigmoid unit (class 1 when the
    output > 0.5). Choose the loss to match the labels and the output, and an optimizer and
    learning rate that learn within 5 epochs: with this little data (8 batches an epoch) Adam's
    default learning rate of 0.001 is too slow; something around 0.01 gets there. Keep it small (a conv layer or two, a pooling
    layer, Flatten, a Dense output).
    """
    raise NotImplementedError("build_bars_classifier")
