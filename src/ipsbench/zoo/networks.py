"""Build the untrained Keras networks the catalog describes (TensorFlow is imported here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ipsbench.errors import UserError
from ipsbench.tf_env import import_tf
from ipsbench.zoo.catalog import ModelSpec

INPUT_NAME = "input"
OUTPUT_NAME = "output"


def build_network(spec: ModelSpec) -> Any:
    """A seeded, untrained `keras.Model` for `spec`; its parameter count is checked."""
    _, keras = import_tf()
    keras.utils.set_random_seed(spec.seed)
    builder = _BUILDERS[spec.builder]
    model = builder(spec, keras)
    counted = model.count_params()
    if not spec.params_ok(counted):
        bound = "exactly" if spec.exact else f"within {spec.tolerance:.0%} of"
        raise UserError(
            f"model {spec.name!r} has {counted:,} parameters; the catalog asks for {bound} "
            f"{spec.params:,}"
        )
    return model


def _dense(spec: ModelSpec, keras: Any) -> Any:
    inp = keras.Input(spec.input_shape, name=INPUT_NAME)
    x = inp
    for i, units in enumerate(spec.options["hidden"]):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    out = keras.layers.Dense(
        spec.outputs, activation=spec.options["output_activation"], name=OUTPUT_NAME
    )(x)
    return keras.Model(inp, out, name=_keras_name(spec))


def _resnet(spec: ModelSpec, keras: Any) -> Any:
    layers = keras.layers

    def conv_bn(x: Any, filters: int, stride: int, kernel: int = 3) -> Any:
        x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False)(x)
        return layers.BatchNormalization()(x)

    inp = keras.Input(spec.input_shape, name=INPUT_NAME)
    x = layers.ReLU()(conv_bn(inp, spec.options["stem"], 1))
    channels = spec.options["stem"]
    for stage, filters in enumerate(spec.options["stages"]):
        for block in range(spec.options["blocks"]):
            stride = 2 if stage > 0 and block == 0 else 1
            shortcut = x
            if stride != 1 or channels != filters:
                shortcut = conv_bn(x, filters, stride, kernel=1)
            y = layers.ReLU()(conv_bn(x, filters, stride))
            y = conv_bn(y, filters, 1)
            x = layers.ReLU()(layers.Add()([shortcut, y]))
            channels = filters
    x = layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(spec.outputs, activation="softmax", name=OUTPUT_NAME)(x)
    return keras.Model(inp, out, name=_keras_name(spec))


def _lstm(spec: ModelSpec, keras: Any) -> Any:
    inp = keras.Input(spec.input_shape, name=INPUT_NAME)
    x = inp
    units = spec.options["units"]
    for i, u in enumerate(units):
        x = keras.layers.LSTM(u, return_sequences=i < len(units) - 1, name=f"lstm_{i}")(x)
    out = keras.layers.Dense(spec.outputs, activation="softmax", name=OUTPUT_NAME)(x)
    return keras.Model(inp, out, name=_keras_name(spec))


def _keras_application(spec: ModelSpec, keras: Any) -> Any:
    name = spec.options["application"]
    factory = getattr(keras.applications, name, None)
    if factory is None:
        raise UserError(f"model {spec.name!r}: keras.applications has no {name!r}")
    return factory(weights=None, input_shape=spec.input_shape, classes=spec.outputs)


def _keras_name(spec: ModelSpec) -> str:
    # Keras object names must be identifiers-ish; catalog names use dashes.
    return spec.name.replace("-", "_")


_BUILDERS: dict[str, Callable[[ModelSpec, Any], Any]] = {
    "dense": _dense,
    "resnet": _resnet,
    "lstm": _lstm,
    "keras_application": _keras_application,
}
