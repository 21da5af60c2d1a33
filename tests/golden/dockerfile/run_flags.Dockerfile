FROM busybox
RUN --mount=type=cache,target=/var/cache/app \
    --mount=type=tmpfs,target=/scratch \
    --network=none \
    echo "mounts and network"
RUN --network=default ["echo", "exec form with a flag"]
