"""The model zoo: the catalog (zoo.toml), the Keras builders, exports, baseline, manifest.

Importing this package does not import TensorFlow; only `networks`, `export`, `baseline` and
`build` do, and only when called.
"""
