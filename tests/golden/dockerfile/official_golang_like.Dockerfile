# syntax=docker/dockerfile:1
# Modeled on a typical Go multi-stage build: build stage, then a scratch runtime.
FROM busybox AS build
WORKDIR /src
COPY <<EOF main.sh
#!/bin/sh
echo "the app says hi"
EOF
RUN mkdir -p /out/bin \
    && cp /bin/busybox /out/bin/sh \
    && install -m 0755 main.sh /out/app

FROM scratch AS runtime
COPY --from=build /out/bin/sh /bin/sh
COPY --from=build /out/app /app
USER 65534:65534
ENTRYPOINT ["/bin/sh", "/app"]
