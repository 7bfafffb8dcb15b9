"""Dense networks, 10k to 10M parameters, input [100].

locust -f locustfiles/mlp.py --host http://127.0.0.1:9008 --ips-model mlp-1m --ips-protocol v2
"""

from ipsbench.load.shape import InferenceSteps  # noqa: F401  (Locust walks ipsbench's steps)
from ipsbench.load.user import InferenceUser


class MlpUser(InferenceUser):
    default_models = ("mlp-10k", "mlp-100k", "mlp-1m", "mlp-10m")
