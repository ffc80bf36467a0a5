# Undersign: build the wheel, install it into a slim image, run as a user of its own.
#   docker build -t undersign .
#   docker run --env-file .env -p 127.0.0.1:8000:8000 undersign
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY server ./server
COPY frontend ./frontend
# The lock's versions, not whatever is newest today (it pins the dev tools too; as
# constraints they only fix the versions of what the service itself needs).
RUN pip wheel --no-cache-dir --constraint requirements.lock --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The share card (cards.py) is drawn in DejaVu Sans: the slim image has no font with Cyrillic.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels undersign && rm -rf /wheels \
    && useradd --system --create-home --home-dir /home/undersign --shell /usr/sbin/nologin undersign
USER undersign
WORKDIR /home/undersign
EXPOSE 8000
# Liveness only; /readyz also checks PostgreSQL and Redis, for a load balancer to use.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Listening on every interface needs UNDERSIGN_SECRET_KEY: the server refuses without it.
CMD ["undersign", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-mailer"]
