"""gunicorn for the bench: the project's gunicorn.conf.py, with the access log off and the
bind and workers from BENCH_BIND / GUNICORN_WORKERS."""

import os
from pathlib import Path

exec((Path(__file__).resolve().parent.parent / "gunicorn.conf.py").read_text())  # noqa: S102

bind = os.environ["BENCH_BIND"]
accesslog = None
loglevel = "warning"
max_requests = 0  # no worker restarts in the middle of a measurement
