"""Any model, across architectures (what `ipsbench run` drives): name them with --ips-model.

locust -f locustfiles/zoo.py --host URL --ips-model identity,mlp-1m,cnn-1m,lstm-1m
"""

from ipsbench.load.shape import InferenceSteps  # noqa: F401  (Locust walks ipsbench's steps)
from ipsbench.load.user import InferenceUser


class ZooUser(InferenceUser):
    default_models = ("identity",)
