# syntax=docker/dockerfile:1
# hotdigest: the bot in a container. Build: docker build -t hotdigest .
# Run: see compose.yaml and README's "Deploy" section.

# -- build: the locked dependencies, then the project, into /app/.venv with uv ----------
FROM python:3.11-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
# The templates and bundled themes are read from beside the packages, so the project
# stays in /app as it is laid out in the repository.
COPY README.md hotdigest.example.toml ./
COPY bot ./bot
COPY digest ./digest
COPY templates ./templates
COPY data/themes.toml ./data/themes.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# -- run: no uv, no compiler, a user without a login, the store on a volume --------------
FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin hotdigest \
    && mkdir /data && chown hotdigest:hotdigest /data
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOTDIGEST_DB=/data/hotdigest.db
WORKDIR /app
USER hotdigest
VOLUME ["/data"]
# /healthz and /metrics (Prometheus); compose publishes it on the host's 127.0.0.1 only.
EXPOSE 9108
# urllib raises on a 503, so an unhealthy bot fails the check; no curl in a slim image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)"]
ENTRYPOINT ["hotdigest"]
CMD ["--log-format", "json", "run", "--metrics", "0.0.0.0:9108"]
