FROM busybox
SHELL ["/bin/sh", "-ec"]
RUN echo "runs with sh -ec"
SHELL ["/bin/ash", "-o", "pipefail", "-c"]
RUN echo piped | cat
CMD echo "CMD in shell form uses the SHELL too"
