"""Chapter 7 with the channel weighting as a matrix product (the Keras example's way), a tuple of
outputs, tape.watch, and overlay on a batch of one."""

import keras
import numpy as np
import tensorflow as tf


def last_conv_layer_name(model):
    convs = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    return convs[-1]


def gradcam_model(model, last_conv_layer_name):
    conv_layer = model.get_layer(last_conv_layer_name)
    return keras.Model(model.inputs, (conv_layer.output, model.output))


def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):
    grad_model = gradcam_model(model, last_conv_layer_name)
    img = tf.convert_to_tensor(img)
    with tf.GradientTape() as tape:
        tape.watch(img)
        last_conv_layer_output, preds = grad_model(img)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    last_conv_layer_output = last_conv_layer_output[0]
    heatmap = last_conv_layer_output @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


def overlay(img, heatmap, alpha=0.4):
    heat = tf.image.resize(tf.constant(heatmap, tf.float32)[tf.newaxis, ..., tf.newaxis], img.shape[:2])[0]
    return ((1.0 - alpha) * img + alpha * heat.numpy()).astype(np.float32)
