"""Reports: figures and a self-contained HTML page, a pure function of results folders.

Nothing here talks to a server or imports TensorFlow.
"""
