# Modeled on the official nginx image; busybox httpd stands in for nginx.
FROM busybox

LABEL maintainer="dockyard maintainers <dev@example.invalid>"

ENV NGINX_VERSION=1.25.4
ENV PKG_RELEASE=1

RUN set -x \
# create nginx user/group first, to be consistent throughout docker variants
    && addgroup -g 101 -S nginx \
    && adduser -S -D -H -u 101 -h /var/cache/nginx -s /sbin/nologin -G nginx -g nginx nginx \
    && mkdir -p /usr/share/nginx/html \
    && echo "<h1>Welcome to nginx!</h1>" > /usr/share/nginx/html/index.html

EXPOSE 80

STOPSIGNAL SIGQUIT

HEALTHCHECK --interval=10s --timeout=2s CMD wget -q -O- http://127.0.0.1/ >/dev/null || exit 1

CMD ["httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"]
