# A scratch image holding a static busybox and one file, built in a busybox stage.
FROM busybox AS build
RUN mkdir -p /out/bin \
 && cp /bin/busybox /out/bin/busybox \
 && echo "hello from scratch" > /out/hello.txt

FROM scratch
COPY --from=build /out/ /
ENTRYPOINT ["/bin/busybox"]
CMD ["cat", "/hello.txt"]
