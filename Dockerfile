# wargabot: one image for the web service (`wargabot serve`), the outbox worker (`wargabot
# worker`) and the office desk (`wargabot desk`). Build: docker build -t wargabot .
# Run it with compose.yaml (docs/operations.md).
# No secret is baked in: every setting comes from the environment (.env through compose.yaml).
# BASE_IMAGE: another Python 3.11 image with pip, e.g. a mirror's copy of python:3.11-slim.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# The service user: a fixed system uid/gid (within useradd's 100-999 for system accounts), so a
# bind-mounted var/ can be chown'ed to it (999:999).
RUN groupadd --system --gid 999 wargabot \
 && useradd --system --uid 999 --gid wargabot --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin wargabot

WORKDIR /app

# Dependencies first, from the lock file only: this layer is rebuilt when requirements.lock
# changes, not on every change to the code. --no-deps: exactly the pinned set, nothing resolved
# on top (the lock is complete; tests/test_deploy.py checks that).
COPY requirements.lock ./
RUN pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore \
      --no-deps -r requirements.lock

# The app itself, without touching the pinned dependencies.
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY migrations/ migrations/
COPY flows/ flows/
COPY locales/ locales/
RUN pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore \
      --no-deps . \
 && rm -rf build wargabot.egg-info \
 && install -d -o wargabot -g wargabot -m 700 var var/media var/inbox

# The flows and catalogs are read from /app (the installed package lives in site-packages).
# HOST=0.0.0.0: inside a container, listening on 127.0.0.1 would be unreachable from outside.
ENV HOST=0.0.0.0 \
    PORT=8080 \
    FLOWS_DIR=/app/flows \
    LOCALES_DIR=/app/locales \
    MEDIA_DIR=/app/var/media \
    INBOX_MAILDIR=/app/var/inbox

# Photos (MEDIA_DIR) and the Maildir inbox (INBOX_MAILDIR): personal data, kept out of the image.
VOLUME ["/app/var"]

USER wargabot
EXPOSE 8080

# slim has no curl: ask /healthz with the Python standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]

CMD ["wargabot", "serve"]
