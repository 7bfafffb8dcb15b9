"""A bare Locust FastHttpUser posting the same V2 body: the yardstick for ipsbench's client cost."""

from locust import FastHttpUser, constant, task

BODY = b'{"inputs":[{"name":"input","shape":[1,1],"datatype":"FP32","data":[0.5]}]}'
HEADERS = {"Content-Type": "application/json"}


class BareUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def infer(self) -> None:
        self.client.post("/v2/models/fast/infer", data=BODY, headers=HEADERS)
