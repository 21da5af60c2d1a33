FROM busybox
ENV PATH=/usr/local/sbin:/usr/local/bin:$PATH \
    LANG=C.UTF-8 \
    TZ=UTC \
    EDITOR="vi -n"
RUN echo "$PATH $LANG $TZ $EDITOR"
