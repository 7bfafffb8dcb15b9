# The model-server image: the reference server with the zoo built at image build time.
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY models/zoo.toml ./models/zoo.toml
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir ".[tf,serve]"
ARG PROFILE=quick
RUN IPSBENCH_ZOO=/src/models/zoo.toml /opt/venv/bin/ipsbench models build --profile "$PROFILE" --out /opt/models

FROM python:3.11.7-slim-bookworm
RUN useradd --create-home --uid 10001 ipsbench
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src /src
COPY --from=build --chown=ipsbench /opt/models /opt/models
ENV PATH=/opt/venv/bin:$PATH IPSBENCH_ZOO=/src/models/zoo.toml PYTHONUNBUFFERED=1
USER ipsbench
WORKDIR /home/ipsbench
EXPOSE 9008
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9008/v2/health/ready', timeout=2)"
# Inside a container the server must listen beyond loopback; compose publishes no port of it.
CMD ["ipsbench", "serve", "--host", "0.0.0.0", "--port", "9008", "--models", "/opt/models"]
