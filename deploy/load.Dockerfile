# The load image: ipsbench + Locust, no TensorFlow (a worker fleet must stay small). Used for the
# Locust master and for the workers (app servers).
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir ".[load,report]"

FROM python:3.11.7-slim-bookworm
RUN useradd --create-home --uid 10001 ipsbench
COPY --from=build /opt/venv /opt/venv
COPY --chown=ipsbench locustfiles /app/locustfiles
COPY --chown=ipsbench models/zoo.toml /app/models/zoo.toml
ENV PATH=/opt/venv/bin:$PATH IPSBENCH_ZOO=/app/models/zoo.toml PYTHONUNBUFFERED=1
WORKDIR /app
RUN mkdir -p /app/reports && chown ipsbench /app/reports
USER ipsbench
EXPOSE 8089 5557
# The master's web UI answers when it is up; a worker has no port, so compose overrides this.
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8089/', timeout=2)"
ENTRYPOINT ["locust"]
CMD ["--help"]
