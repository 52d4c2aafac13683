"""A bounded closed-loop load generator: N threads, each with its own http.client
connection, each sending its next request when the previous one has answered.

Bounded by a duration and a request count (whichever comes first); each client's first
`warmup` answers are not counted and come before the clock starts. gunicorn's sync
workers close the connection after each answer, so http.client opens a new one (on
loopback) for the next request.
"""

import http.client
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Outcome:
    latencies: list = field(default_factory=list)  # seconds, counted answers only
    statuses: Counter = field(default_factory=Counter)
    queries: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)  # (status, first bytes of body)
    first_start: float = float("inf")
    last_end: float = 0.0

    @property
    def elapsed(self) -> float:
        """From the first counted request sent to the last counted answer."""
        return max(self.last_end - self.first_start, 1e-9)


def percentile(values: list, share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def send(conn: http.client.HTTPConnection, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    payload = response.read()
    return response, payload


def closed_loop(
    *,
    host: str,
    port: int,
    concurrency: int,
    duration: float,
    max_requests: int,
    make_request,
    expected=(200,),
    warmup: int = 2,
) -> Outcome:
    """`make_request(number)` gives (method, path, body, headers) for the number-th request
    (numbers are unique across clients, so writes can each take another slot)."""
    outcome = Outcome()
    numbers = itertools.count()
    lock = threading.Lock()
    deadline = [float("inf")]
    start_gate = threading.Barrier(
        concurrency + 1, action=lambda: deadline.__setitem__(0, time.perf_counter() + duration)
    )

    def one(conn, number):
        method, path, body, headers = make_request(number)
        began = time.perf_counter()
        try:
            response, payload = send(conn, method, path, body, headers)
            status, queries = response.status, response.getheader("X-Bench-Queries")
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            status, payload, queries = 599, repr(error).encode(), None
        return began, time.perf_counter() - began, status, payload, queries

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        for _ in range(warmup):  # not counted, and before the clock starts
            one(conn, next(numbers))
        start_gate.wait()
        while True:  # each client answers at least once, then until time or count runs out
            number = next(numbers)
            if number >= max_requests + warmup * concurrency:
                break
            began, took, status, payload, queries = one(conn, number)
            with lock:
                outcome.first_start = min(outcome.first_start, began)
                outcome.last_end = max(outcome.last_end, began + took)
                outcome.latencies.append(took)
                outcome.statuses[status] += 1
                if queries is not None:
                    outcome.queries.append(int(queries))
                if status not in expected and len(outcome.unexpected) < 5:
                    outcome.unexpected.append((status, payload[:300]))
            if time.perf_counter() >= deadline[0]:
                break
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start_gate.wait()  # every client has warmed up; the barrier's action starts the clock
    for thread in threads:
        thread.join()
    return outcome
