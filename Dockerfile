# The SkillPulse application image: every `skillpulse` command (producer, worker, batch, dashboard).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SKILLPULSE_DATA_DIR=/data \
    HF_HUB_OFFLINE=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY skillpulse ./skillpulse
COPY schemas ./schemas
COPY producers ./producers
COPY stream_processors ./stream_processors
COPY batch ./batch
COPY dashboard ./dashboard
# CPU wheels of torch; the versions are the pinned ones of constraints.txt.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt . \
    && mkdir -p /data

VOLUME ["/data"]
ENTRYPOINT ["skillpulse"]
CMD ["--help"]
