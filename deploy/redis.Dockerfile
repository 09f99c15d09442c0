# Redis for a class's sessions (compose.yaml), from Debian's redis-server package.
# Built on the app's own base image, so that a school without Docker Hub needs no
# other image (scripts/base-image.sh makes it from Debian's packages).
FROM python:3.11-slim-bookworm

# A numeric user made first, which the package then takes as its own.
# hadolint ignore=DL3008
RUN groupadd --system --gid 10002 redis \
    && useradd --system --uid 10002 --gid redis --home-dir /var/lib/redis --shell /usr/sbin/nologin redis \
    && apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o redis -g redis /data

# The append-only file is written in the working directory.
WORKDIR /data
VOLUME /data
USER 10002:10002
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
