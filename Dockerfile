# A tradehub node: `docker build -t tradehub .`; deploy/docker-compose.yml runs two behind nginx.
# Stage 1 builds with the dev dependencies (TypeScript, esbuild); stage 2 keeps only the built
# files and the production dependencies of the workspaces the server runs with.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY shared/package.json shared/
COPY server/package.json server/
COPY client/package.json client/
COPY test/package.json test/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
# NODE_ENV=production refuses the embedded demo and its public secrets: give a configuration
# file (TRADEHUB_CONFIG), as deploy/docker-compose.yml does. Other settings (REDIS_URL,
# REDIS_KEY_PREFIX, NODE_ID, LOG_LEVEL, TRADEHUB_JWT_SECRET, ...) are in the README.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=5000 \
    TRADEHUB_DATA_DIR=/var/lib/tradehub
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY server/package.json server/
COPY client/package.json client/
COPY test/package.json test/
COPY bench/package.json bench/
RUN npm ci --omit=dev --no-audit --no-fund \
      --workspace=@tradehub/server --workspace=@tradehub/shared --workspace=@tradehub/client \
    && npm cache clean --force \
    && mkdir -p /var/lib/tradehub && chown node:node /var/lib/tradehub
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/client/dist client/dist
COPY --from=build /app/server/dist server/dist
COPY --from=build /app/server/static server/static
COPY --from=build /app/server/dashboard/dist/browser server/dashboard/dist/browser
USER node
EXPOSE 5000
# The slim image has no curl: Node asks the node's liveness endpoint itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server/dist/cli/main.js"]
