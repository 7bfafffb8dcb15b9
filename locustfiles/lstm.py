"""LSTM networks over a [50, 32] sequence, 10k to 10M parameters.

locust -f locustfiles/lstm.py --host http://127.0.0.1:9008 --ips-model lstm-100k
"""

from ipsbench.load.shape import InferenceSteps  # noqa: F401  (Locust walks ipsbench's steps)
from ipsbench.load.user import InferenceUser


class LstmUser(InferenceUser):
    default_models = ("lstm-10k", "lstm-100k", "lstm-1m", "lstm-10m")
