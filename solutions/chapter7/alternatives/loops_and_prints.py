"""Chapter 7 with explicit loops over the channels, debug prints, a top-level experiment and a
self-test under __main__."""

import keras
import numpy as np
import tensorflow as tf


def last_conv_layer_name(model):
    found = ""
    for layer in model.layers:
        print("looking at", layer.name, type(layer).__name__)
        if isinstance(layer, keras.layers.Conv2D):
            found = layer.name
    return found


def gradcam_model(model, last_conv_layer_name):
    layer = model.get_layer(last_conv_layer_name)
    grad_model = keras.Model(model.inputs, [layer.output, model.output])
    print("grad model outputs:", [o.shape for o in grad_model.outputs])
    return grad_model


def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):
    grad_model = gradcam_model(model, last_conv_layer_name)
    with tf.GradientTape() as tape:
        feature_maps, preds = grad_model(img)
        if pred_index is None:
            pred_index = np.argmax(preds.numpy()[0])
        class_score = preds[0, pred_index]
    grads = tape.gradient(class_score, feature_maps)
    maps = feature_maps.numpy()[0]
    g = grads.numpy()
    heatmap = np.zeros(maps.shape[:2], dtype=np.float32)
    for k in range(maps.shape[-1]):
        weight = g[:, :, :, k].mean()
        heatmap += weight * maps[:, :, k]
    heatmap[heatmap < 0] = 0
    heatmap = heatmap / np.max(heatmap)
    print("heatmap range", heatmap.min(), heatmap.max())
    return heatmap


def overlay(img, heatmap, alpha=0.4):
    big = tf.image.resize(heatmap.reshape(heatmap.shape + (1,)), size=img.shape[:2]).numpy()
    out = np.empty_like(img, dtype=np.float32)
    for c in range(3):
        out[:, :, c] = (1 - alpha) * img[:, :, c] + alpha * big[:, :, 0]
    return out


_probe = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3, name="c"),
                           keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
print("experiment:", last_conv_layer_name(_probe))

if __name__ == "__main__":
    x = keras.Input((10, 10, 3))
    y = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(x)
    y = keras.layers.GlobalAveragePooling2D()(y)
    m = keras.Model(x, keras.layers.Dense(3)(y))
    h = make_gradcam_heatmap(np.random.rand(1, 10, 10, 3).astype("float32"), m, "conv")
    print(h.shape, overlay(np.random.rand(10, 10, 3), h).shape)
