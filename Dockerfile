# The bot: polling or webhook mode by configuration (see README, Configuration).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gcc libgomp1 fonts-thai-tlwg \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY nlu ./nlu
COPY knowledge ./knowledge
RUN pip install . && useradd --create-home factcheck && mkdir -p /app/var && chown factcheck /app/var
USER factcheck
ENV CACHE_DIR=/app/var/cache
EXPOSE 8443
CMD ["factcheck", "run"]
