FROM busybox
RUN set -eux; \
    mkdir -p /opt/app/bin /opt/app/etc; \
    for d in bin etc; do \
        touch "/opt/app/$d/.keep"; \
    done; \
    ls -la /opt/app
ENV PATH=/opt/app/bin:$PATH \
    APP_HOME=/opt/app
CMD ls \
  -la \
  $APP_HOME
