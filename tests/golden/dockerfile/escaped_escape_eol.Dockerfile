FROM busybox
RUN echo ends-with-escaped-backslash\\
RUN echo "this is a separate instruction"
RUN echo continued \
    here
