# The probestream command in an image: `docker build -t probestream .`, then
# `docker run --rm probestream --help`. The default command is `start` (topology, API, CDC when
# MONGODB_URL is set); docker-compose.yml runs it with Kafka and MongoDB. tshark is not included: run
# `probestream capture` on the host that has the Wi-Fi interface.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so that a change in the sources does not install them again. --ignore-scripts: the
# `prepare` script (the build) needs the sources, which come next, and no dev dependency needs its install
# script to compile TypeScript.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Build, drop the dev dependencies, then run classic-level's install step: it checks that the prebuilt
# LevelDB binding fits this platform (and would compile it otherwise).
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm rebuild classic-level \
  && node -e "require('classic-level')"

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    STATE_DIR=/var/lib/probestream
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The web console's page, scripts and styles, served at / (dist/api/console.js reads them from here).
COPY console ./console
# The bundled demo capture and device list: `probestream replay demo/capture.pcapng` feeds a stack.
COPY demo ./demo
# The state folder belongs to the user the process runs as; a volume mounted there starts with this owner.
RUN mkdir -p /var/lib/probestream && chown node:node /var/lib/probestream
USER node
EXPOSE 8080
ENTRYPOINT ["node", "--min-semi-space-size=16", "--max-semi-space-size=64", "dist/cli/main.js"]
CMD ["start"]
