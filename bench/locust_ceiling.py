"""A locustfile that only POSTs: how many requests one locust process can make (bench/load.py)."""

from locust import FastHttpUser, constant, task

BODY = b"<x/>" * 256


class Poster(FastHttpUser):
    wait_time = constant(0)

    @task
    def post(self) -> None:
        self.client.post("/tc", data=BODY, headers={"Content-Type": "text/xml"})
