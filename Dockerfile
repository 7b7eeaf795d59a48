# widget-consumer as a container image (OCI; Docker or podman). Built and run by the test suite
# (tests/integration/container.sh) with podman, on a Debian 12 base made locally (no registry).
#
#   podman build --format docker --network host -t widget-consumer .     # or: docker build -t ...
#   podman build --build-arg BASE_IMAGE=localhost/debian:bookworm ...    # any Debian 12 image
#   podman run --rm -e AWS_REGION=us-east-1 widget-consumer -rq widget-requests -dwt widgets
#
# Configuration: the options as arguments, or every option from the environment
# (WIDGET_CONSUMER_<LONG_NAME>, e.g. WIDGET_CONSUMER_REQUEST_QUEUE), as the Kubernetes manifests in
# deploy/kubernetes/ and the ECS task definition in deploy/ecs/ do. Credentials come from the AWS
# chain: environment, ECS/Fargate task role (container endpoint), EC2 instance role. Logs go to
# stderr. (--format docker: the OCI image format has no HEALTHCHECK; podman warns and drops it.)
ARG BASE_IMAGE=debian:12-slim

FROM ${BASE_IMAGE} AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev make \
       cmake pkg-config libjansson-dev libssl-dev libcurl4-openssl-dev libexpat1-dev libinih-dev libmicrohttpd-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src src
COPY docs/man docs/man
COPY deploy/systemd deploy/systemd
# The programs alone: no tests, no cmocka.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    && cmake --build build -j"$(nproc)" --target widget-consumer widget-producer widget-verify \
    && DESTDIR=/out cmake --install build --prefix /usr/local

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="widget-consumer" \
      org.opencontainers.image.description="Consumes widget requests from SQS, S3 or a directory and applies them to DynamoDB, S3 or a directory, in exact order" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="widget-consumer" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
# Only the shared libraries the programs link and the CA certificates (TLS is always verified).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
       libcurl4 libjansson4 libexpat1 libssl3 libinih1 libmicrohttpd12 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 widget \
    && useradd --system --uid 10001 --gid widget --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin widget
COPY --from=build /out/usr/local/bin/widget-consumer /out/usr/local/bin/widget-producer \
     /out/usr/local/bin/widget-verify /usr/local/bin/
# A numeric user, so that Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
# A service runs until it is stopped (the program's default stops after 5 empty polls: a batch job).
ENV WIDGET_CONSUMER_MAX_EMPTY_POLLS=0
# SIGTERM drains: the consumer stops receiving, finishes the requests in flight and deletes their
# messages, hands back what it had not started, all within --shutdown-timeout (default 10 s), then
# exits 0. Give the runtime's stop timeout more than that (podman stop -t 30, Kubernetes
# terminationGracePeriodSeconds: 30, ECS stopTimeout: 30); a second signal exits at once.
STOPSIGNAL SIGTERM
# The process is alive. /healthz ("the loop turns") is served with --metrics-addr, which the
# Kubernetes manifests probe; this image carries no HTTP client to ask it from inside.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/bin/sh", "-c", "kill -0 1"]
ENTRYPOINT ["widget-consumer"]
