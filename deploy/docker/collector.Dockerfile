# gapwatch collector: the OTLP receiver alone, writing to a ClickHouse server.
# Build from the repository root:  docker build -f deploy/docker/collector.Dockerfile .
ARG PYTHON_IMAGE=python:3.12.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY collector/ collector/
RUN pip wheel --no-cache-dir --wheel-dir /wheels ./collector

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GAPWATCH_HOST=0.0.0.0 \
    GAPWATCH_DATA_DIR=/var/lib/gapwatch
RUN groupadd --system --gid 10001 gapwatch \
    && useradd --system --uid 10001 --gid gapwatch --home-dir /var/lib/gapwatch \
       --create-home --shell /usr/sbin/nologin gapwatch
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels gapwatch-collector \
    && rm -rf /wheels
USER 10001:10001
WORKDIR /var/lib/gapwatch
# the write-ahead log lives here: mount a volume to keep acknowledged spans across restarts
VOLUME ["/var/lib/gapwatch"]
EXPOSE 4317 4318
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4318/healthz', timeout=4)"]
ENTRYPOINT ["gapwatch-collector"]
