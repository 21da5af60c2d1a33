FROM busybox AS build
RUN echo data > /data
FROM busybox
COPY --from="build" --chown='1:2' /data /quoted-flags
COPY -- /data /after-double-dash
