FROM scratch
LABEL org.opencontainers.image.title="dockyard-test" \
      org.opencontainers.image.description="Golden corpus image" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/dockyard"
