"""The old suite's `default` model: a 2-parameter identity network (REST overhead, nothing else).

locust -f locustfiles/identity.py --host http://127.0.0.1:9008 --ips-protocol skil
"""

from ipsbench.load.shape import InferenceSteps  # noqa: F401  (Locust walks ipsbench's steps)
from ipsbench.load.user import InferenceUser


class IdentityUser(InferenceUser):
    default_models = ("identity",)
