FROM busybox AS Builder
RUN mkdir /out && echo built > /out/artifact

FROM busybox AS tester
COPY --from=builder /out/artifact /tmp/artifact
RUN grep -q built /tmp/artifact

FROM scratch
COPY --from=0 /out/artifact /artifact
COPY --from=tester /tmp/artifact /tested
