"""ResNet-style convolutional networks, 10k to 10M parameters, input [32, 32, 3] (and resnet50).

locust -f locustfiles/cnn.py --host http://127.0.0.1:9008 --ips-model cnn-1m --ips-binary
"""

from ipsbench.load.shape import InferenceSteps  # noqa: F401  (Locust walks ipsbench's steps)
from ipsbench.load.user import InferenceUser


class CnnUser(InferenceUser):
    default_models = ("cnn-10k", "cnn-100k", "cnn-1m", "cnn-10m")
