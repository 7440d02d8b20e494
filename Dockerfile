# syntax=docker/dockerfile:1
# Autoproces: one image for the web server (`autoproces serve`, the default command), the
# worker (`autoproces worker`) and the migrations (`autoproces db upgrade`).
#
#   docker build -t autoproces .
#   docker run --read-only --tmpfs /tmp -v autoproces:/var/lib/autoproces \
#     -v metrics:/run/autoproces/metrics -e DATABASE_URL=… -e SECRET_KEY=… \
#     -e AUTOPROCES_BASE_URL=https://… -p 8000:8000 autoproces
#
# Both stages start from the same Debian, so the virtualenv built in the first runs unchanged
# in the second (same /usr/bin/python3). BASE can name a locally made base (tests/deploy).
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
# Mirrors and an intercepting proxy's CA for the build only (never kept in the image).
ARG PIP_INDEX_URL
ARG PIP_CERT
ARG NODE_EXTRA_CA_CERTS
ARG NPM_CONFIG_REGISTRY
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv nodejs npm make ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The UI assets: npm ci (without the test-only devDependencies), copied into
# platform/static/vendor by the Makefile's `assets` target, which keeps the one list of files.
COPY package.json package-lock.json Makefile ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && touch node_modules/.installed
COPY . .
RUN make assets \
 && python3 -m venv /opt/build-tools \
 && /opt/build-tools/bin/pip install --no-cache-dir build babel \
 && /opt/build-tools/bin/pybabel compile -d platform/translations -f \
 && /opt/build-tools/bin/python -m build --wheel --outdir /dist . \
 && python3 -m venv /opt/autoproces \
 && /opt/autoproces/bin/pip install --no-cache-dir /dist/*.whl \
 && /opt/autoproces/bin/pip uninstall -y pip

FROM ${BASE} AS runtime
# xmlsec1 signs, verifies and decrypts SAML messages (pysaml2 calls the command).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 xmlsec1 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 autoproces \
 && useradd --system --uid 10001 --gid autoproces --home-dir /var/lib/autoproces \
      --shell /usr/sbin/nologin autoproces \
 && install -d -o autoproces -g autoproces /var/lib/autoproces /run/autoproces/metrics
COPY --from=build /opt/autoproces /opt/autoproces
# The root file system can be read-only: the app writes only to the instance folder, to
# PROMETHEUS_MULTIPROC_DIR (the web workers' metrics files) and to /tmp, each a volume.
ENV PATH=/opt/autoproces/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/autoproces \
    AUTOPROCES_INSTANCE_PATH=/var/lib/autoproces \
    PROMETHEUS_MULTIPROC_DIR=/run/autoproces/metrics \
    PORT=8000
VOLUME ["/var/lib/autoproces", "/run/autoproces/metrics", "/tmp"]
WORKDIR /var/lib/autoproces
USER 10001:10001
EXPOSE 8000
# tini passes SIGTERM on to gunicorn (graceful shutdown) and reaps the children.
ENTRYPOINT ["/usr/bin/tini", "--", "autoproces"]
CMD ["serve"]
