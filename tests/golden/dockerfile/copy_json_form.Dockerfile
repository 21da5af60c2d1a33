FROM busybox AS files
RUN mkdir "/tmp/with space" && echo x > "/tmp/with space/file name"

FROM busybox
COPY --from=files ["/tmp/with space/file name", "/dest dir/"]
RUN ls "/dest dir/"
