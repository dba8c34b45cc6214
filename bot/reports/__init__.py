"""What voters are asking: trends, rising keywords, charts and a daily digest for fact-checkers.

One job per module:

| module | job |
|---|---|
| `privacy.py` | the minimum count before anything a voter wrote is shown verbatim |
| `period.py` | the reporting window and the window before it, day buckets |
| `queries.py` | every aggregate, computed by the database (GROUP BY), never row by row |
| `keywords.py` | rising keywords and phrases per language from a bounded sample |
| `stopwords/` | stop-word lists (th, ms, en) as data files maintainers can edit |
| `trends.py` | `build_trends(...) -> TrendsReport`: queries + keywords + knowledge texts |
| `render.py` | the report as text or JSON |
| `charts.py` | matplotlib (Agg) charts as PNG bytes, with a Thai-font check |
| `html.py` | the report as one self-contained HTML file (charts embedded as base64 PNG) |
| `digest.py` | `build_daily_digest(...)` and the hook that schedules it |

Reports show aggregates and claim texts, never who asked: no voter, chat or Telegram ids leave
the database in a report.
"""
