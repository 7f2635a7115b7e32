# syntax=docker/dockerfile:1
#
# kickbot container image.
#   docker build --build-arg VERSION=$(git describe --tags --always) -t kickbot .
#   docker run --env-file .env -p 8080:8080 kickbot
# Secrets can be mounted as files instead: SLACK_BOT_TOKEN_FILE=/run/secrets/slack_bot_token, etc.

# ---- build ----
# Pin both base images by digest for reproducible builds (README,
# "Containers"): FROM golang:1.26@sha256:… and …:nonroot@sha256:….
FROM golang:1.26 AS build
WORKDIR /src

# Modules first, so source edits don't re-download them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
ARG VERSION=dev
# Static binary (CGO off) so it runs on distroless/static; -trimpath keeps
# build paths out of it; -s -w drops symbol tables.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/kickbot ./cmd/kickbot

# ---- run ----
# distroless/static has CA certificates (for slack.com and Huawei), tzdata,
# and a nonroot user (65532); no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kickbot /kickbot
USER nonroot:nonroot

# /healthz, /readyz, /metrics (HTTP_ADDR). Slack is reached outbound over
# Socket Mode: nothing else needs to be exposed.
EXPOSE 8080
# No curl in distroless: the binary probes its own /healthz on HTTP_ADDR.
# With HTTP_ADDR empty (health server off) the probe passes and says so.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["/kickbot", "healthcheck"]

# SIGTERM drains in-flight kicks (KICK_DRAIN_TIMEOUT, 25 s by default);
# Docker waits only 10 s by default, so stop it with docker stop -t 30
# (docker run --stop-timeout 30; README, "Containers").
STOPSIGNAL SIGTERM
ENTRYPOINT ["/kickbot"]
