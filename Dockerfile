# boundary-graphql: multi-stage build on Node 20 slim; runs compiled JavaScript as a non-root user.
# Build:  docker build -t boundary-graphql .
# Run:    docker run -p 4000:4000 -e BOUNDARY_ADDR=https://boundary.example.com:9200 boundary-graphql

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim AS runtime
# The heap limit fits a 512 MiB container: 256 MiB of old space plus the young generation, code and
# buffers outside the heap (about 100 MiB at rest). Raise both together; docs/performance.md, "Sizing memory".
ENV NODE_ENV=production \
    PORT=4000 \
    HOST=0.0.0.0 \
    NODE_OPTIONS=--max-old-space-size=256
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# The explorer's example operations (read at run time).
COPY operations ./operations
USER node
EXPOSE 4000
# /healthz answers without calling the controller; use /readyz for a readiness probe.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Signals go straight to node (no shell), which drains in-flight requests and exits 0.
CMD ["node", "dist/main.js"]
