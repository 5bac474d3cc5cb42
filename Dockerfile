# syntax=docker/dockerfile:1
# The worker image: the locked dependencies (uv.lock, installed by uv), the package, and nothing to build with.
# Runs as an unprivileged user; its only writable place is the state directory (RocksDB tables, outboxes).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/labour-tracker
WORKDIR /src
# The dependencies alone first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY README.md ./
COPY labour_tracker ./labour_tracker
RUN uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 labour-tracker \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/labour-tracker labour-tracker \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/labour-tracker
COPY --from=build /opt/labour-tracker /opt/labour-tracker
ENV PATH=/opt/labour-tracker/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LABOUR_TRACKER_DATA_DIR=/var/lib/labour-tracker \
    LABOUR_TRACKER_SMS_OUTBOX=/var/lib/labour-tracker/sms-outbox.jsonl \
    LABOUR_TRACKER_MAIL_OUTBOX=/var/lib/labour-tracker/mail-outbox \
    LABOUR_TRACKER_WEB_HOST=0.0.0.0 \
    LABOUR_TRACKER_WEB_PORT=8000
WORKDIR /var/lib/labour-tracker
USER 10001:10001
EXPOSE 8000
# Liveness only: whether Kafka and PostgreSQL answer is readiness (/api/v1/ready), which compose checks.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://%s:%s/api/v1/health' % (os.environ['LABOUR_TRACKER_WEB_HOST'].replace('0.0.0.0', '127.0.0.1'), os.environ['LABOUR_TRACKER_WEB_PORT']), timeout=4)"]
ENTRYPOINT ["labour-tracker"]
CMD ["worker", "--loglevel", "info"]
