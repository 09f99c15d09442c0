# nginx in front of a class's app replicas (compose.yaml), from Debian's nginx package.
# Built on the app's own base image, so that a school without Docker Hub needs no
# other image (scripts/base-image.sh makes it from Debian's packages).
FROM python:3.11-slim-bookworm

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log

COPY nginx.conf /etc/nginx/conf.d/stepper.conf

EXPOSE 80
# SIGQUIT: nginx finishes the requests it has begun, then stops.
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
