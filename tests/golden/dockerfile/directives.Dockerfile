# SYNTAX = docker/dockerfile:1
#  escape = \
FROM busybox
RUN echo directives are case-insensitive \
    and may have spaces around '='
