# Offload API container: build from the workspace, run as an unprivileged user.
#   docker build -f deploy/offload.Dockerfile -t offload-api .
#   docker run -p 8081:8081 -e OFFLOAD_OPENAI_API_KEY=… -v offload-data:/data offload-api
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p offload-api --bin offload-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /data offload \
    && mkdir -p /data && chown offload /data
COPY --from=build /src/target/release/offload-api /usr/local/bin/offload-api
USER offload
ENV OFFLOAD_ADDR=0.0.0.0:8081 \
    OFFLOAD_DATA_DIR=/data \
    OFFLOAD_LOG_FORMAT=json
# Production-like environments must bring a strong OFFLOAD_SESSION_SECRET.
ENV OFFLOAD_ENVIRONMENT=production
VOLUME /data
EXPOSE 8081
ENTRYPOINT ["/usr/local/bin/offload-api"]
