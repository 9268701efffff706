# meshgate: a Bluetooth Mesh to MQTT gateway, as a container image.
#
#   docker build -t meshgate .
#   docker run -p 8080:8080 -v meshgate-data:/data meshgate     # the demo
#
# Multi-architecture (Raspberry Pi 3/4/5 with a 64-bit or 32-bit OS, PCs):
#   docker buildx build --platform linux/arm64,linux/arm/v7,linux/amd64 \
#       -t registry.example/meshgate:latest --push .
# Each platform is built natively under emulation (QEMU binfmt), from
# Debian's packages of that architecture; nothing is cross-compiled here.
# deploy/docker-compose.yml runs it next to Mosquitto and Home Assistant;
# docs/raspberry-pi.md explains the radios.

# ---- build: the -dev packages and the compiler, thrown away afterwards ----
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libssl-dev libjansson-dev libuv1-dev libyaml-dev \
      libpaho-mqtt-dev libwebsockets-dev libwebsockets-evlib-uv libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY mesh mesh
COPY config config
COPY gateway gateway
COPY bridge bridge
COPY web web
COPY deploy/scenarios deploy/scenarios
COPY deploy/config deploy/config
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMESHGATE_TESTS=OFF \
 && cmake --build /build --target meshgate meshsim \
 && strip --strip-debug /build/meshgate /build/meshsim

# ---- run: only the runtime libraries ----------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 libjansson4 libuv1 libyaml-0-2 libpaho-mqtt1.3 \
      libwebsockets17 libwebsockets-evlib-uv libcap2-bin ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/meshgate /build/meshsim /usr/local/bin/
COPY deploy/docker/entrypoint.sh /usr/local/bin/meshgate-entrypoint
# meshgate-hci: the same program with the capabilities of the HCI user
# channel, used only for `bearer: {type: hci}` (see the entry point).
RUN cp /usr/local/bin/meshgate /usr/local/bin/meshgate-hci \
 && setcap cap_net_admin,cap_net_raw+ep /usr/local/bin/meshgate-hci \
 && apt-get purge -y libcap2-bin && apt-get autoremove -y \
 && useradd --system --uid 1000 --user-group --groups dialout --home-dir /data \
      --shell /usr/sbin/nologin meshgate \
 && mkdir -p /data && chown meshgate:meshgate /data && chmod 0700 /data
USER meshgate
VOLUME /data
ENV MESHGATE_DATA=/data
EXPOSE 8080
# /health with nothing but the shell: the image carries no HTTP client.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${MESHGATE_WEB_PORT:-8080} && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/meshgate-entrypoint"]
