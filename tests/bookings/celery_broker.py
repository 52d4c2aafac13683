"""Send this process's Celery tasks to a real broker for a while (tests only)."""

from contextlib import contextmanager

from kombu import pools

from config import celery_app


@contextmanager
def tasks_sent_to(broker_url: str):
    """Within it, tasks go to `broker_url` instead of running eagerly; afterwards as before."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    _forget_connections()
    conf.broker_url, conf.task_always_eager = broker_url, False
    try:
        yield
    finally:
        _forget_connections()
        conf.broker_url, conf.task_always_eager = saved


def _forget_connections() -> None:
    # The app keeps its connection and producer pools, made for the broker it had first;
    # drop them as a forked child does, so that the next task connects to the broker now set.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._after_fork()
    # kombu keeps the producer pools per broker in a registry of its own: the one just
    # closed would be found again by a second use ("Acquire on closed pool").
    pools.reset()
