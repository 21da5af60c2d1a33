FROM --platform=$BUILDPLATFORM busybox AS build
RUN echo "building on the build platform" > /out

FROM --platform=linux/amd64 busybox
COPY --from=build /out /out
