"""Chapter 7 - Interpretability with Grad-CAM.

Grad-CAM shows which parts of an image a CNN looked at to score a class: it weights the feature
maps of the last convolutional layer by how much the class score grows with each of them, and
keeps what speaks for the class. Fill in every function below, then run `grade chapter7`.

The checks build small CNNs with fixed weights (Functional Keras models; Sequential ones too for
`last_conv_layer_name`) and compare your heatmaps pixel by pixel with the reference's (within
1e-4).
"""

import keras
import numpy as np
import tensorflow as tf


def last_conv_layer_name(model):
    """Return the name (a str) of the LAST layer of `model.layers` that is a
    `keras.layers.Conv2D`.

    Decide by the layer's type (isinstance), not by its name: a Dense layer may well be called
    "conv_logits", and a Conv2D "features".
    """
    raise NotImplementedError("last_conv_layer_name")


def gradcam_model(model, last_conv_layer_name):
    """Return a new `keras.Model` with the same input as `model` and two outputs, in this order:
    the activations of the layer named `last_conv_layer_name`, and the model's predictions.

    Called on a batch of images, it returns [activations (batch, h, w, filters),
    predictions (batch, classes)].
    """
    raise NotImplementedError("gradcam_model")


def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):
    """Grad-CAM heatmap of one image.

    img: a float32 array of shape (1, H, W, C), a batch holding one image.
    pred_index: the class to explain (an int); when None, explain the class the model predicts
        (the argmax of its predictions for this image).

    Steps:
    1. Under a `tf.GradientTape`, run `gradcam_model(model, last_conv_layer_name)` on `img` and
       take the class score: the predictions' column `pred_index` (the model's raw output, no
       extra softmax).
    2. Take the gradient of that score with respect to the conv activations.
    3. Channel weights: the mean of the gradient over the batch, height and width axes (one
       weight per filter).
    4. Weighted sum of the activation maps of the image over the channels -> shape (h, w).
    5. ReLU (keep only positive evidence), then divide by the maximum so values lie in [0, 1].

    Return a 2-D NumPy array of shape (h, w), the conv layer's spatial size.
    """
    raise NotImplementedError("make_gradcam_heatmap")


def overlay(img, heatmap, alpha=0.4):
    """Blend a heatmap over an image.

    img: float array (H, W, 3) with values in [0, 1]; heatmap: float array (h, w) in [0, 1].
    Resize the heatmap to (H, W) with `tf.image.resize` (its default, bilinear), then return
    `(1 - alpha) * img + alpha * heat`, the resized heatmap broadcast over the 3 channels:
    a NumPy array of shape (H, W, 3).
    """
    raise NotImplementedError("overlay")
