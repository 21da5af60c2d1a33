FROM busybox AS base
ENV STAGE=base

FROM base AS child
ENV STAGE=child

FROM child
RUN echo "$STAGE"
