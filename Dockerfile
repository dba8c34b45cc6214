# The bot: polling or webhook mode by configuration, BOT_ROLE=notifier for a delivery-only
# process (see README, Deployment).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# Tesseract with Thai, Malay and English reads the screenshots and photos voters send.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libgomp1 fonts-thai-tlwg \
        tesseract-ocr tesseract-ocr-tha tesseract-ocr-msa tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY nlu ./nlu
COPY knowledge ./knowledge
# Installed in place (editable) so the code stays under /app: the bot keeps its var/ next to its
# code (the spool of escalations saved while the database is down, the caches), which makes it
# /app/var, the writable volume, instead of a path inside site-packages it may not write to.
RUN pip install -e . && useradd --create-home factcheck && mkdir -p /app/var && chown factcheck /app/var
USER factcheck
# Health and metrics listen on all interfaces inside the container; compose publishes them on
# the host's loopback only.
ENV CACHE_DIR=/app/var/cache HEALTH_LISTEN=0.0.0.0 HEALTH_PORT=8080
EXPOSE 8443 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HEALTH_PORT', '8080'), timeout=4)"
CMD ["factcheck", "run"]
