# widget-consumer as a container image, as the course's consumers were deployed (locally, or on
# ECS/Fargate with the task role: credentials come from the container endpoint, logs go to stderr).
# Not built in CI (this workplace has no Docker engine).
#   docker build -t widget-consumer .
#   docker run --rm -e AWS_REGION=us-east-1 widget-consumer -rq widget-requests -dwt widgets
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc make cmake pkg-config \
      libjansson-dev libcmocka-dev libssl-dev libcurl4-openssl-dev libexpat1-dev libinih-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src src
COPY tests/unit tests/unit
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j"$(nproc)" \
      --target widget-consumer widget-producer widget-verify

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libjansson4 \
      libssl3 libcurl4 libexpat1 libinih1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/widget-consumer /src/build/widget-producer /src/build/widget-verify \
     /usr/local/bin/
USER nobody
ENTRYPOINT ["widget-consumer", "--max-empty-polls", "0"]
