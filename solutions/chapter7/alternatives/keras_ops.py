"""Chapter 7 with keras.ops for the arithmetic, a class score taken with tf.gather, a heatmap
returned as float64, and the channel broadcast done by tf.concat."""

import keras
from keras import ops
import numpy as np
import tensorflow as tf


def last_conv_layer_name(model):
    name = None
    for i in range(len(model.layers)):
        if isinstance(model.layers[i], keras.layers.Conv2D):
            name = model.layers[i].name
    return str(name)


def gradcam_model(model, last_conv_layer_name):
    return keras.Model(inputs=model.inputs,
                       outputs=[model.get_layer(name=last_conv_layer_name).output, model.outputs[0]])


def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):
    gm = gradcam_model(model, last_conv_layer_name)
    with tf.GradientTape() as tape:
        conv, preds = gm(img, training=False)
        index = int(ops.argmax(preds[0])) if pred_index is None else pred_index
        score = tf.gather(preds, index, axis=1)
    g = tape.gradient(score, conv)
    alpha = ops.mean(g, axis=[0, 1, 2])
    cam = ops.sum(conv[0] * alpha[None, None, :], axis=-1)
    cam = ops.relu(cam)
    cam = cam / ops.max(cam)
    return np.asarray(cam, dtype=np.float64)


def overlay(img, heatmap, alpha=0.4):
    resized = tf.image.resize(np.expand_dims(heatmap, -1), (img.shape[0], img.shape[1]), method="bilinear")
    heat3 = tf.concat([resized, resized, resized], axis=-1)
    return np.array((1 - alpha) * img + alpha * heat3)
