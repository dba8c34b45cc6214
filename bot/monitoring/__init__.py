"""Monitoring: what a running bot process tells an orchestrator and a metrics scraper.

`metrics` holds the process's counters and histograms (no Telegram, no database: the conversation
core counts through it); `health` reads the live state (database, knowledge, Rasa, outbox) on
demand; `server` serves both over HTTP as `GET /healthz` (JSON) and `GET /metrics` (Prometheus
text format), on HEALTH_LISTEN:HEALTH_PORT.
"""
