FROM busybox
MAINTAINER Jane Doe <jane@example.com>
LABEL maintainer="Jane Doe <jane@example.com>"
