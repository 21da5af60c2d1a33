# Leading comment: not a directive because it has no key=value form.
FROM busybox
# Comments are dropped; a '#' that is not first on the line is an argument.
RUN echo "# not a comment" > /note   # still part of the command
    # an indented comment line
#
# an empty comment above resets the collected comments
RUN echo done
