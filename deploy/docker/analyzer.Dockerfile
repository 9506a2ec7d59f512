# gapwatch analyzer: API, scheduler and CLI (`gapwatch`), reading and writing a ClickHouse server.
# Build from the repository root:  docker build -f deploy/docker/analyzer.Dockerfile .
ARG PYTHON_IMAGE=python:3.12.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY instrumentation/ instrumentation/
COPY collector/ collector/
COPY analyzer/ analyzer/
RUN pip wheel --no-cache-dir --wheel-dir /wheels ./instrumentation ./collector ./analyzer

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GAPWATCH_HOST=0.0.0.0 \
    GAPWATCH_DATA_DIR=/var/lib/gapwatch
RUN groupadd --system --gid 10001 gapwatch \
    && useradd --system --uid 10001 --gid gapwatch --home-dir /var/lib/gapwatch \
       --create-home --shell /usr/sbin/nologin gapwatch
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels gapwatch-analyzer \
    && rm -rf /wheels
USER 10001:10001
WORKDIR /var/lib/gapwatch
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["gapwatch"]
CMD ["serve"]
