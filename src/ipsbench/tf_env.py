"""Import TensorFlow quietly. Every module that needs TF goes through `import_tf()`."""

from __future__ import annotations

import logging
import os
import warnings
from types import ModuleType


def import_tf() -> tuple[ModuleType, ModuleType]:
    """Return (tensorflow, keras) with C++ and Python logging turned down to errors."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Keras 3 warns that .h5 is a legacy format every time we save one; we save it on purpose
    # (SKIL imported .h5), so the warning is noise.
    warnings.filterwarnings("ignore", message=r".*HDF5 file.*legacy.*")
    warnings.filterwarnings("ignore", message=r".*legacy.*HDF5.*")
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    import keras

    return tf, keras
