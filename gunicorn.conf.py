"""gunicorn's settings for Venuedesk: `gunicorn` in the project folder reads this file.

Each value comes from the process environment (the systemd unit's EnvironmentFile, the
container's environment; not from .env), with the default beside it. See the README,
"Deploying".
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


wsgi_app = "config.wsgi:application"

# Behind the proxy on the same machine: nothing else may reach gunicorn directly.
bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"

# Synchronous workers: a request holds one worker, and nothing a request does waits on
# a slow outside service (mail and webhooks go out after it). 2 × cores + 1, at most 12
# unless set: more processes than that mostly add memory and database connections.
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 12))

# A request still running after `timeout` seconds gets its worker killed and restarted;
# on stop or reload, workers get `graceful_timeout` seconds to finish what they serve.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Each worker is replaced after about this many requests (0: never), the jitter
# spreading the restarts so that not all workers restart at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Off: each worker imports the app itself. A restart then runs the new code, a database
# connection or a delivery thread is never shared across a fork, and a worker that cannot
# start (static files not collected: config/wsgi.py) says why in the error log. Loading
# once would save some memory per worker, which a few workers hardly need.
preload_app = False

# The proxies whose X-Forwarded-Proto gunicorn believes (comma-separated addresses or
# networks; "*" for any). Django decides separately (VENUEDESK_TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"

# The access log on stdout, the error log on stderr (journald or the container's log).
# The client is the address the proxy saw (X-Forwarded-For), then the proxy's own; the
# time taken in milliseconds last. Manage links and feed tokens are redacted.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
access_log_format = (
    '%({x-forwarded-for}i)s via %(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
)
logger_class = "config.access_log.RedactingLogger"

# gunicorn 25+ would open a control socket at a per-user path: two instances under one
# user would share it. Stop and reload go through signals (systemctl, docker) instead.
control_socket_disable = True

# Heartbeat files in memory, not on a disk that may be slow (or read-only in a container).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
