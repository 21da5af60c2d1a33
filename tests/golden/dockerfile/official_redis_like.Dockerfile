# Modeled on the shape of the official redis image, using only busybox.
FROM busybox

# add our user and group first to make sure their IDs get assigned consistently
RUN set -eux; \
	addgroup -S -g 1000 redis; \
	adduser -S -G redis -u 999 -h /data redis

ENV REDIS_VERSION=7.2.4 \
    REDIS_DOWNLOAD_SHA=deadbeef

RUN mkdir /data && chown redis:redis /data
VOLUME /data
WORKDIR /data

COPY --chmod=0755 <<'EOF' /usr/local/bin/docker-entrypoint.sh
#!/bin/sh
set -e
# first arg is `-f` or `--some-option`
if [ "${1#-}" != "$1" ]; then
	set -- redis-server "$@"
fi
exec "$@"
EOF
ENTRYPOINT ["docker-entrypoint.sh"]

EXPOSE 6379
CMD ["redis-server"]
