# Venuedesk's image: the web app (gunicorn), and with another command the Celery worker
# and beat (see compose.yaml and the README, "Deploying with containers").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The dependencies first, in a layer of their own: it is rebuilt only when pyproject.toml
# changes, not on every change of the code.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself. Installed in place (-e): its templates, static files and
# translations live beside the packages, so the app runs from /app.
COPY . .
RUN pip install --no-deps -e .

# Static files are collected and compressed at build time (the settings need a secret
# key to load, not the real one); config/wsgi.py refuses to start without them.
RUN DJANGO_SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --no-input -v0

# The code and the static files belong to root; the app runs as a user that cannot
# change them. It may write only celery beat's schedule (a volume in compose.yaml).
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin venuedesk \
    && install -d -o venuedesk /var/lib/celery-beat
USER venuedesk

# In a container, gunicorn listens on every interface of the container's own network;
# compose.yaml publishes the port on the host's 127.0.0.1 only, for the host's proxy.
# The proxy reaches gunicorn from the container network's gateway, whose address is not
# known in advance: gunicorn believes X-Forwarded-Proto from any address that reaches it.
ENV GUNICORN_BIND=0.0.0.0:8000 \
    GUNICORN_FORWARDED_ALLOW_IPS=*
EXPOSE 8000

CMD ["gunicorn"]
