# syntax=docker/dockerfile:1
# Build: docker build -t pool .   Run: docker run -p 8000:8000 -e POOL_DATABASE_URL=... pool
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    POOL_HOST=0.0.0.0 \
    POOL_PORT=8000 \
    POOL_DATABASE_URL=sqlite+aiosqlite:////data/pool.db
RUN groupadd --system --gid 10001 pool \
    && useradd --system --uid 10001 --gid pool --home-dir /srv/pool pool \
    && mkdir -p /data /srv/pool && chown pool:pool /data /srv/pool
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/pool
COPY --chown=pool:pool migrations ./migrations
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"POOL_PORT\", \"8000\")}/healthz', timeout=2)"]
CMD ["pool", "serve"]
