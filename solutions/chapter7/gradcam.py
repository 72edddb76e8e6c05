"""Chapter 7 - Interpretability with Grad-CAM (reference solution)."""

import keras
import numpy as np
import tensorflow as tf


def last_conv_layer_name(model):
    """Name of the last Conv2D layer of `model`, found by type."""
    name = None
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            name = layer.name
    return name


def gradcam_model(model, last_conv_layer_name):
    """A model mapping the input to [activations of the conv layer, predictions]."""
    conv = model.get_layer(last_conv_layer_name)
    return keras.Model(model.input, [conv.output, model.output])


def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):
    """Grad-CAM heatmap (h, w) in [0, 1] for one image batch `img` of shape (1, H, W, C)."""
    grad_model = gradcam_model(model, last_conv_layer_name)
    with tf.GradientTape() as tape:
        conv_out, preds = grad_model(img)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_score = preds[:, pred_index]
    grads = tape.gradient(class_score, conv_out)
    weights = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = tf.reduce_sum(conv_out[0] * weights, axis=-1)
    heatmap = tf.maximum(heatmap, 0)
    heatmap = heatmap / tf.reduce_max(heatmap)
    return heatmap.numpy()


def overlay(img, heatmap, alpha=0.4):
    """Blend the heatmap, resized to the image, over the image: (1 - alpha) * img + alpha * heat."""
    h, w = img.shape[0], img.shape[1]
    heat = tf.image.resize(np.asarray(heatmap, "float32")[..., None], (h, w)).numpy()
    return (1 - alpha) * np.asarray(img, "float32") + alpha * heat
