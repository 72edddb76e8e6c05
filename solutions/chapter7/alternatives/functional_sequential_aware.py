"""Chapter 7 using the model's layers by index, an `only positive` mask instead of a maximum,
and tf.einsum for the weighted sum."""

import keras
import numpy as np
import tensorflow as tf


def last_conv_layer_name(model):
    conv_names = list(filter(lambda l: isinstance(l, keras.layers.Conv2D), model.layers))
    return conv_names[-1].name


def gradcam_model(model, last_conv_layer_name):
    target = [layer for layer in model.layers if layer.name == last_conv_layer_name][0]
    return keras.Model(inputs=model.inputs, outputs=[target.output, model.layers[-1].output])


def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):
    grad_model = gradcam_model(model, last_conv_layer_name)
    x = tf.constant(img, dtype=tf.float32)
    with tf.GradientTape(persistent=False) as tape:
        A, y = grad_model(x)
        c = tf.argmax(y[0]).numpy() if pred_index is None else pred_index
        y_c = y[:, c]
    dy_dA = tape.gradient(y_c, A)
    w = tf.reduce_mean(dy_dA, axis=[0, 1, 2])
    cam = tf.einsum("hwk,k->hw", A[0], w)
    cam = cam * tf.cast(cam > 0, cam.dtype)
    return (cam / tf.reduce_max(cam)).numpy()


def overlay(img, heatmap, alpha=0.4):
    img = np.asarray(img, dtype=np.float32)
    heat = tf.image.resize(np.asarray(heatmap, np.float32)[..., None], img.shape[:2]).numpy()
    return img * (1 - alpha) + heat * alpha
