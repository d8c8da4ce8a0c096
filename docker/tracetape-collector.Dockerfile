# tracetape collector, built from this repository: an OTLP/HTTP receiver on :4318 that writes to
# the ClickHouse server named by TRACETAPE_CLICKHOUSE_URL. Build context: the repository root.
FROM node:24-bookworm-slim
WORKDIR /tracetape
COPY . .
# `npm ci` builds the packages (the root `prepare` script runs tsc -b). It also fetches the chDB
# engine (~550 MB), a dependency of @tracetape/clickhouse that a server-backed collector never loads.
RUN npm ci --no-audit --no-fund && npm cache clean --force
EXPOSE 4318
ENTRYPOINT ["npx", "--no-install", "tracetape"]
CMD ["collector", "--host", "0.0.0.0"]
