# One image for every Paperboy process (web, worker, beat, migrate).
# Dependencies come from the lock file in a layer of their own, so a code change
# rebuilds only the last layers; Paperboy is installed as a wheel (not editable):
# templates, static files and migrations travel inside the package.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY app ./app
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PAPERBOY_LOG_FORMAT=json

RUN useradd --create-home --uid 10001 paperboy
COPY requirements/runtime.txt /tmp/requirements.txt
RUN pip install --requirement /tmp/requirements.txt && rm /tmp/requirements.txt
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels

WORKDIR /srv/paperboy
RUN mkdir var metrics && chown paperboy var metrics
USER paperboy
EXPOSE 8000
# Behind a reverse proxy, set FORWARDED_ALLOW_IPS to the proxy's address (uvicorn reads it)
# so the visitor's address, not the proxy's, meets the subscribe rate limit.
CMD ["uvicorn", "app.web.asgi:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
