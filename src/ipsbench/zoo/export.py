"""Write a built network in every format the supported model servers load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ipsbench.fsutil import link_or_copy_tree
from ipsbench.tf_env import import_tf
from ipsbench.zoo.catalog import ModelSpec
from ipsbench.zoo.networks import INPUT_NAME, OUTPUT_NAME

# The version folder TF Serving and Triton load; the zoo writes one version per model.
MODEL_VERSION = "1"


def relative_paths(name: str) -> dict[str, str]:
    """Where each format of model `name` lives, relative to the build folder."""
    return {
        "savedmodel": f"tfserving/{name}/{MODEL_VERSION}",
        "triton": f"triton/{name}",
        "keras": f"keras/{name}.keras",
        "h5": f"keras/{name}.h5",
    }


def serving_function(model: Any, input_shape: tuple[int, ...]) -> Any:
    """The compiled inference function: a `tf.function` with a fixed input signature.

    Returns a dict so the SavedModel signature names its output `output` (not `output_0`).
    """
    tf, _ = import_tf()
    signature = [tf.TensorSpec((None, *input_shape), tf.float32, name=INPUT_NAME)]

    @tf.function(input_signature=signature)
    def serve(input: Any) -> dict[str, Any]:  # noqa: A002 - the name is the signature key
        return {OUTPUT_NAME: model(input, training=False)}

    return serve


def write_savedmodel(model: Any, spec: ModelSpec, folder: Path) -> None:
    """A SavedModel whose `serving_default` signature takes `input` and returns `output`."""
    _, keras = import_tf()
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serving_function(model, spec.input_shape))
    archive.write_out(str(folder), verbose=False)


def write_keras_files(model: Any, keras_path: Path, h5_path: Path) -> None:
    keras_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(keras_path)
    model.save(h5_path)


def write_triton_entry(savedmodel: Path, spec: ModelSpec, entry: Path) -> None:
    """Triton's repository layout: `<name>/config.pbtxt` and `<name>/1/model.savedmodel/`."""
    link_or_copy_tree(savedmodel, entry / MODEL_VERSION / "model.savedmodel")
    (entry / "config.pbtxt").write_text(triton_config(spec), encoding="utf-8")


def triton_config(spec: ModelSpec) -> str:
    dims_in = ", ".join(str(d) for d in spec.input_shape)
    return (
        f'name: "{spec.name}"\n'
        'platform: "tensorflow_savedmodel"\n'
        f"max_batch_size: {spec.max_batch_size}\n"
        "input [\n"
        "  {\n"
        f'    name: "{INPUT_NAME}"\n'
        "    data_type: TYPE_FP32\n"
        f"    dims: [ {dims_in} ]\n"
        "  }\n"
        "]\n"
        "output [\n"
        "  {\n"
        f'    name: "{OUTPUT_NAME}"\n'
        "    data_type: TYPE_FP32\n"
        f"    dims: [ {spec.outputs} ]\n"
        "  }\n"
        "]\n"
    )


def tfserving_models_config(names: list[str], base_path: str) -> str:
    """TF Serving's `--model_config_file`: one `config` per model under `base_path`."""
    entries = "".join(
        "  config {\n"
        f'    name: "{name}"\n'
        f'    base_path: "{base_path.rstrip("/")}/{name}"\n'
        '    model_platform: "tensorflow"\n'
        "  }\n"
        for name in names
    )
    return "model_config_list {\n" + entries + "}\n"
