# syntax=docker/dockerfile:1
# hrcase services image: `docker build -t hrcase:0.1.0 .`, then `docker run hrcase:0.1.0 worker intake` (or casework,
# sla-monitor, topics create, serve ...). Wheels are built in the first stage (from PyPI); the second has no compiler
# and runs as an unprivileged user. Where no registry can be pulled from, deploy/image/build.sh builds it FROM a local
# Debian base (PYTHON_IMAGE=localhost/hrcase-base:...) made with mmdebstrap.
# Read-only root filesystem: the only writable paths are /tmp (MPLCONFIGDIR) and HRCASE_DATA_DIR (faust's tables),
# each a tmpfs or a volume.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# build.sh removes this stage's image once the final one is built (podman keeps it for the bind mount).
LABEL org.hrcase.stage=build
# A CA bundle for pip when the way to PyPI intercepts TLS (build.sh mounts it); the final stage never sees it.
ARG PIP_CERT=/etc/ssl/certs/ca-certificates.crt
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_CERT=${PIP_CERT}
WORKDIR /src
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY sitreps ./sitreps
COPY reference ./reference
COPY services ./services
RUN pip wheel --wheel-dir /wheels ".[kafka]"

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    MPLCONFIGDIR=/tmp/matplotlib HRCASE_DATA_DIR=/var/lib/hrcase
RUN groupadd --system --gid 10001 hrcase \
    && useradd --system --uid 10001 --gid hrcase --home-dir /var/lib/hrcase --shell /usr/sbin/nologin hrcase \
    && install -d -o hrcase -g hrcase -m 0750 /var/lib/hrcase
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels "hrcase[kafka]"
USER 10001:10001
WORKDIR /var/lib/hrcase
# /health and /metrics of the workers (intake, casework, sla_monitor); the casework API.
EXPOSE 6061 6062 6063 6080
# No HEALTHCHECK here: which port answers /health depends on the service; compose and the k8s probes ask it.
ENTRYPOINT ["hrcase"]
CMD ["--help"]
