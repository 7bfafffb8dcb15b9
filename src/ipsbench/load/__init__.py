"""The load engine: Locust users, step control, HDR statistics shipped from workers to master.

Nothing here imports TensorFlow: a worker fleet must not need it.
"""
