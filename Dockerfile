# The Relay application image: Daphne serving Django, with the browser client built in.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir "uv==0.13.8"

WORKDIR /app

# Locked dependencies first, so code changes do not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY frontend/package.json frontend/package-lock.json frontend/
RUN cd frontend && npm ci --no-audit --no-fund

COPY . .
RUN uv sync --frozen --no-dev \
    && cd frontend && npm run build

RUN useradd --system --uid 10001 --home /app relay \
    && mkdir -p /app/var/static /app/var/audit-checkpoints \
    && chown -R relay /app/var
USER relay

EXPOSE 8000
# relay.serve is Daphne without an access log and with the request body limit.
CMD ["python", "-m", "relay.serve", "--proxy-headers", "-b", "0.0.0.0", "-p", "8000"]
