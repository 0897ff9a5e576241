# The gobq server image. docker-compose.yml runs it as three replicas on PostgreSQL.
#
#   docker build -t gobq .
#   docker run -e GOBQ_TOKENS='[{"token":"…","role":"admin"}]' -p 50051:50051 -p 50052:50052 gobq
#
# The server runs its TypeScript through tsx, a runtime dependency, so nothing is compiled:
# the first stage installs the production dependencies, the second adds the sources.
# test/deploy/dockerfile.test.ts checks this file; test/deploy/compose-commands.test.ts runs
# its entrypoint and health check outside containers.

FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
# The lock file lists the workspaces, so npm ci wants their package.json files too.
COPY package.json package-lock.json ./
COPY sdk/package.json sdk/
COPY bench/package.json bench/
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20.20.2-bookworm-slim
# Listening on 0.0.0.0 makes gobq refuse to start without tokens (GOBQ_TOKENS or
# GOBQ_TOKENS_FILE) or --tls-client-ca: the safe default holds in the container too.
# Set the listeners here, not with flags: the health check reads GOBQ_HTTP_LISTEN.
ENV NODE_ENV=production \
    GOBQ_LISTEN=0.0.0.0:50051 \
    GOBQ_HTTP_LISTEN=0.0.0.0:50052 \
    GOBQ_STORE=duckdb:/var/lib/gobq/gobq.duckdb
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY package.json tsconfig.json ./
COPY bin bin
COPY src src
COPY sdk sdk
COPY examples examples
RUN mkdir -p /var/lib/gobq && chown node:node /var/lib/gobq
VOLUME /var/lib/gobq
# The node user (uid 1000) comes with the base image.
USER node
EXPOSE 50051 50052
# grpc.health.v1 Check as Connect JSON on the HTTP/1.1 listener: SERVING until shutdown
# begins. It speaks cleartext HTTP: with --tls-cert, replace it (or turn it off).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const a=process.env.GOBQ_HTTP_LISTEN||'',i=a.lastIndexOf(':'),h=a.slice(0,i);fetch('http://'+(h==='0.0.0.0'||h==='[::]'?'127.0.0.1':h)+':'+a.slice(i+1)+'/grpc.health.v1.Health/Check',{method:'POST',headers:{'content-type':'application/json'},body:'{}',signal:AbortSignal.timeout(4000)}).then(r=>r.json()).then(j=>process.exit(j.status==='SERVING'?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/gobq.js", "serve"]
