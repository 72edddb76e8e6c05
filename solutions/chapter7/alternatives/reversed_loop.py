"""Chapter 7 as a student who walks the layers backwards, uses model.inputs and does the
weighting after the tape in NumPy."""

import keras
import numpy as np
import tensorflow as tf


def last_conv_layer_name(model):
    for layer in reversed(model.layers):
        if isinstance(layer, keras.layers.Conv2D):
            return layer.name
    raise ValueError("no Conv2D layer")


def gradcam_model(model, last_conv_layer_name):
    return keras.models.Model(
        inputs=model.inputs,
        outputs=[model.get_layer(last_conv_layer_name).output, model.output],
    )


def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):
    grad_model = gradcam_model(model, last_conv_layer_name)
    with tf.GradientTape() as tape:
        activations, predictions = grad_model(img)
        if pred_index is None:
            pred_index = int(np.argmax(predictions[0]))
        score = predictions[:, pred_index]
    gradients = tape.gradient(score, activations).numpy()
    weights = gradients.mean(axis=(0, 1, 2))
    cam = (activations.numpy()[0] * weights).sum(axis=-1)
    cam = np.maximum(cam, 0)
    return cam / cam.max()


def overlay(img, heatmap, alpha=0.4):
    H, W = img.shape[:2]
    heat = tf.image.resize(heatmap[:, :, np.newaxis], [H, W]).numpy()
    heat = np.repeat(heat, 3, axis=-1)
    return (1 - alpha) * img + alpha * heat
