# ARGs before the first FROM are meta args: usable in FROM lines only,
# unless re-declared inside a stage.
ARG BUSYBOX_TAG=latest
ARG GREETING="hello meta"
FROM busybox:${BUSYBOX_TAG} AS base
ARG GREETING
RUN echo "$GREETING" > /greeting

FROM base
RUN cat /greeting
