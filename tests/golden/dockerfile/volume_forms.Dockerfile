FROM busybox
VOLUME /data
VOLUME ["/var/log", "/var/cache"]
VOLUME /a /b
VOLUME [ "/json with space" ]
