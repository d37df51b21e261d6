# syntax=docker/dockerfile:1.4
ARG RHEL_VERSION=9
FROM registry.access.redhat.com/ubi${RHEL_VERSION}/ubi:latest AS builder
ARG TARGETARCH
ENV GOFLAGS="-mod=vendor" \
    BUILD_PKGS="golang make git"
RUN dnf install -y --setopt=install_weak_deps=False $BUILD_PKGS && \
    dnf clean all
COPY . /src
WORKDIR /src
RUN make build

FROM registry.access.redhat.com/ubi${RHEL_VERSION}/ubi-minimal:latest
ARG INSTALL_PKGS="tar gzip \
    procps-ng"
RUN microdnf update -y && \
    microdnf install -y ${INSTALL_PKGS} shadow-utils && \
    case "$(uname -m)" in \
      x86_64) microdnf install -y intel-gpu-tools ;; \
      aarch64) microdnf install -y arm-tools ;; \
    esac && \
    if [ "$(arch)" = "s390x" ]; then microdnf install -y s390utils-base; fi && \
    microdnf clean all
RUN --mount=type=secret,id=token <<EOT bash
set -euo pipefail
for p in jq yq; do echo $p; done
dnf install -y $(cat /tmp/list.txt)
dnf -y install python3-pip python3-devel
EOT
COPY --from=builder /src/bin/app /usr/bin/app
USER 1001
ENTRYPOINT ["/usr/bin/app"]
