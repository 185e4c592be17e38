"""Step-up capacity run: more users every STEP_SECONDS until MAX_USERS, then stop.

    locust -f tests/stress/locustfile.py,tests/stress/capacity_shape.py --headless --host ...

Users here wait STRESS_WAIT_SECONDS between actions as in the steady scenario,
so each step adds a known request rate; read off where latency bends.
"""

import os

from locust import LoadTestShape


class StepUpShape(LoadTestShape):
    step_users = int(os.environ.get("STEP_USERS", "10"))
    step_seconds = int(os.environ.get("STEP_SECONDS", "30"))
    max_users = int(os.environ.get("MAX_USERS", "80"))

    def tick(self):
        step = int(self.get_run_time() // self.step_seconds) + 1
        users = step * self.step_users
        if users > self.max_users:
            return None
        return users, self.step_users
