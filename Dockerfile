# Cydef: a MISP-compatible threat-intelligence sharing server.
# Build: docker build -t cydef .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p cydef

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/cydef --create-home cydef
COPY --from=build /src/target/release/cydef /usr/local/bin/cydef
USER cydef
WORKDIR /var/lib/cydef
ENV CYDEF_LISTEN=0.0.0.0:8080 \
    CYDEF_DATA_DIR=/var/lib/cydef/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["cydef"]
CMD ["serve"]
