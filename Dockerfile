# sigaudit container image: one binary and the C library it loads, on an empty base.
#
#   docker build -t sigaudit .                    (or podman build; needs the Rust base image)
#   docker run --rm --read-only --network=none -v /var/lib/zot:/data:ro -v "$PWD/reports:/out" \
#     sigaudit scan /data --out /out --fail-on violations
#
# Runtime: FROM scratch, no shell, no package manager; runs as uid/gid 65532 (distroless's
# "nonroot"); writes only where --out (and --cache) point, so a read-only root filesystem is
# fine. The rootDir is only read: mount it read-only.
#
# Where no base image can be pulled (an air-gapped builder, this project's CI), build the binary
# on the host and give it to the image instead of the build stage:
#   cargo build --release --locked
#   deploy/container/rootfs.sh target/release/sigaudit target/container-rootfs
#   podman build --build-arg BINARY_FROM=prebuilt -t sigaudit .
# The host's C library is then copied into the image (glibc 2.36 on Debian 12).

# Which stage provides /rootfs: `build` (compile in a Rust image) or `prebuilt`.
ARG BINARY_FROM=build

# Any Rust >= 1.88 (Cargo.toml rust-version); pin a digest for reproducible builds.
FROM docker.io/library/rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin sigaudit \
 && sh deploy/container/rootfs.sh target/release/sigaudit /rootfs

FROM scratch AS prebuilt
COPY target/container-rootfs/ /rootfs/

FROM ${BINARY_FROM} AS binary

FROM scratch
COPY --from=binary /rootfs/ /
# Numeric, so no /etc/passwd is needed; Kubernetes' runAsNonRoot can check it.
USER 65532:65532
WORKDIR /out
ENTRYPOINT ["/usr/local/bin/sigaudit"]
CMD ["--help"]
LABEL org.opencontainers.image.title="sigaudit" \
      org.opencontainers.image.description="Offline auditor of container image signatures in a zot registry's storage" \
      org.opencontainers.image.licenses="Apache-2.0"
