FROM busybox
COPY <<EOF /etc/motd
Welcome to the dockyard test image.
EOF
COPY --chmod=0755 <<'EOF' /usr/local/bin/entrypoint.sh
#!/bin/sh
set -e
exec "$@"
EOF
COPY <<a.conf <<b.conf /etc/app/
setting=a
a.conf
setting=b
b.conf
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["cat", "/etc/motd"]
