FROM busybox
RUN mkdir -p /www && echo ok > /www/health
HEALTHCHECK --interval=30s --timeout=3s --start-period=1m30s --start-interval=500ms --retries=3 \
  CMD wget -q -O /dev/null http://localhost/health || exit 1
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
