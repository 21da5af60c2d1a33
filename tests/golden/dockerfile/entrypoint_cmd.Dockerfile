FROM busybox AS base
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo entrypoint plus cmd"]

FROM base AS reset
ENTRYPOINT []
CMD []

FROM base AS shell_form
ENTRYPOINT exec top -b
