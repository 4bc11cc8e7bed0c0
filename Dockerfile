# artifact-frontend: BuildKit gateway frontend image, built with Docker.
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t artifact-frontend:dev .
#
# The build stage runs on the build machine's platform and cross-compiles
# for each target platform with scripts/build-binary, the script
# scripts/build-image runs in CI (which writes the same kind of image, a
# static binary in an otherwise empty image, as an OCI layout under
# target/frontend-image without a Docker daemon).

# ---- stage 1: static release build, cross-compiled from the build platform ----
FROM --platform=$BUILDPLATFORM rust:1.95-bookworm AS build
ARG TARGETPLATFORM
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto/ proto/
COPY src/ src/
# Cargo.toml declares the e2e test target; cargo wants its file to exist.
COPY tests/ tests/
COPY scripts/ scripts/
# Installs the rustup target and Debian's cross gcc when TARGETPLATFORM is
# not the build platform.
RUN apt-get update && scripts/build-binary "$TARGETPLATFORM" /out/artifact-frontend

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
