"""Chapter 7 with the division by the maximum guarded against a map without positive evidence
(zeros instead of 0/0), and the ReLU done with tf.nn.relu."""

import keras
import numpy as np
import tensorflow as tf


def last_conv_layer_name(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)][-1].name


def gradcam_model(model, last_conv_layer_name):
    return keras.Model(inputs=model.inputs,
                       outputs=[model.get_layer(last_conv_layer_name).output, model.output])


def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):
    grad_model = gradcam_model(model, last_conv_layer_name)
    with tf.GradientTape() as tape:
        conv_out, preds = grad_model(img)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        score = preds[:, pred_index]
    grads = tape.gradient(score, conv_out)
    weights = tf.reduce_mean(grads, axis=(0, 1, 2))
    cam = tf.nn.relu(tf.reduce_sum(conv_out[0] * weights, axis=-1)).numpy()
    top = cam.max()
    return np.divide(cam, top, out=np.zeros_like(cam), where=top > 0)


def overlay(img, heatmap, alpha=0.4):
    heat = tf.image.resize(np.asarray(heatmap, "float32")[..., None], img.shape[:2]).numpy()
    return (1 - alpha) * img + alpha * heat
