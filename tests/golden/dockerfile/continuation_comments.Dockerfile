FROM busybox
RUN echo one \
# this comment line is removed from the logical line
    && echo two \
    # so is this indented one
    && echo three
