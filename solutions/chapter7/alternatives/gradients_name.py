"""Chapter 7 with ordinary variable names a ban list might mistake for APIs (gradients, tanh-free),
pred_index compared with `is None`, the class score summed over the batch."""

import keras
import numpy as np
import tensorflow as tf


def last_conv_layer_name(model):
    result = None
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            result = layer.name
    return result


def gradcam_model(model, last_conv_layer_name):
    outputs = [model.get_layer(last_conv_layer_name).output]
    outputs.append(model.output)
    return keras.Model(model.inputs, outputs)


def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):
    grad_model = gradcam_model(model, last_conv_layer_name)
    with tf.GradientTape() as tape:
        conv_outputs, predictions = grad_model(img)
        if pred_index is None:
            pred_index = int(tf.argmax(predictions, axis=-1)[0])
        loss = tf.reduce_sum(predictions[:, pred_index])
    gradients = tape.gradient(loss, conv_outputs)
    channel_weights = tf.reduce_mean(gradients, axis=(0, 1, 2)).numpy()
    conv_outputs = conv_outputs.numpy()[0]
    heatmap = np.dot(conv_outputs, channel_weights)
    heatmap = np.clip(heatmap, 0, None)
    heatmap /= heatmap.max()
    return heatmap


def overlay(img, heatmap, alpha=0.4):
    size = (img.shape[0], img.shape[1])
    heat = tf.image.resize(heatmap[..., None], size)
    heat = tf.tile(heat, [1, 1, 3]).numpy()
    return (1 - alpha) * img + alpha * heat
