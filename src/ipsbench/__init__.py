"""ipsbench: inferences per second of model servers, measured and drawn."""

__version__ = "0.1.0"
