# K-Means Stepper for a class: gunicorn, sessions in memory (one worker) or in
# Redis (REDIS_URL; several workers, several containers). See docs/deploy.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KMEANS_CACHE_DIR=/var/cache/kmeans-stepper \
    NUMBA_CACHE_DIR=/var/cache/kmeans-stepper/numba \
    PORT=8000

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

# MNIST parsed and its PCA computed now, and the built-in data sets' elbows, so that
# the first student does not wait; the step's compiled inertia (app/core/kernel.py) too,
# kept where the app's user may write, as numba asks of a cache it reads.
# Before static/ and templates/: changing the page does not redo this layer.
COPY app/ app/
RUN flask --app app prepare

COPY static/ static/
COPY templates/ templates/
COPY gunicorn.conf.py .

# A numeric user, so that platforms can see it is not root without reading /etc/passwd.
RUN groupadd --system --gid 10001 kmeans \
    && useradd --system --uid 10001 --gid kmeans --no-create-home --shell /usr/sbin/nologin kmeans \
    && chown -R 10001:10001 "$NUMBA_CACHE_DIR"
USER 10001:10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "app:create_app()"]
