# artifact-frontend: BuildKit gateway frontend image, built with Docker.
#
#   docker build -t artifact-frontend:dev .
#
# Without a Docker daemon, scripts/build-image produces the same kind of image
# (static binary in an otherwise empty image) as an OCI layout under
# target/frontend-image.

# ---- stage 1: static release build -------------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto/ proto/
COPY src/ src/
# Cargo.toml declares the e2e test target; cargo wants its file to exist.
COPY tests/ tests/
RUN set -eux; \
    triple="$(rustc -vV | sed -n 's/host: //p')"; \
    RUSTFLAGS="-C target-feature=+crt-static" \
        cargo build --release --locked --target "$triple"; \
    mkdir -p /out; \
    cp "target/$triple/release/artifact-frontend" /out/artifact-frontend; \
    chmod 0755 /out/artifact-frontend

# ---- stage 2: just the binary ------------------------------------------------
FROM scratch

# Frontend capabilities advertised to BuildKit ("moby.buildkit.frontend.caps").
# Keep in sync with FRONTEND_CAPS at the top of scripts/build-image.
ARG FRONTEND_CAPS="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"

COPY --from=build /out/artifact-frontend /artifact-frontend
ENV PATH=/
LABEL moby.buildkit.frontend.network.none="true" \
      moby.buildkit.frontend.caps="${FRONTEND_CAPS}" \
      org.opencontainers.image.title="artifact.v0 frontend"
ENTRYPOINT ["/artifact-frontend"]
