# a plain comment ends the directive section
# escape=`
FROM busybox
RUN echo "still backslash" \
    && echo continued
