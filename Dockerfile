# One image for every Paperboy process (web, worker, beat, migrate).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/paperboy
RUN useradd --create-home --uid 10001 paperboy

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
RUN pip install -e . && mkdir -p var && chown paperboy var

USER paperboy
EXPOSE 8000
CMD ["uvicorn", "app.web.asgi:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
