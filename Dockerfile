# Image of one Palermo service, named by the SERVICE build argument: draw,
# questionnaire, review, notify or gateway. Build from the repository root,
# because the service installs the shared package beside it:
#
#     docker build --build-arg SERVICE=draw -t palermo-draw .

FROM python:3.11-slim AS build

ARG SERVICE
RUN case "$SERVICE" in \
        draw|questionnaire|review|notify|gateway) ;; \
        *) echo "SERVICE must be draw, questionnaire, review, notify or gateway," \
                "not '$SERVICE': docker build --build-arg SERVICE=draw ." >&2; \
           exit 1 ;; \
    esac

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN pip install "uv==0.13.9" \
    && python -m venv /opt/venv

WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY shared/ shared/
COPY services/${SERVICE}/ services/${SERVICE}/

# Third-party packages come pinned, with hashes, from the workspace lock;
# the two workspace packages are then installed without their dependencies.
RUN uv export --frozen --no-dev --no-emit-workspace --package "palermo-$SERVICE" \
        --output-file requirements.txt \
    && /opt/venv/bin/pip install --require-hashes -r requirements.txt \
    && /opt/venv/bin/pip install --no-deps ./shared "./services/$SERVICE"


FROM python:3.11-slim

ARG SERVICE

RUN groupadd --system --gid 10001 palermo \
    && useradd --system --uid 10001 --gid palermo --home-dir /app palermo \
    && mkdir -p /app/var \
    && chown palermo:palermo /app/var

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8000 \
    DATA_DIR=/app/var \
    LOG_FORMAT=json \
    PALERMO_SERVICE_MODULE=palermo_${SERVICE}

WORKDIR /app
USER palermo
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['HTTP_PORT'] + '/healthz/live', timeout=2)"]

# exec makes Python the container's first process, so that it receives the
# SIGTERM that stops the container.
CMD ["sh", "-c", "exec python -m \"$PALERMO_SERVICE_MODULE\""]
