FROM busybox
# None of these is a valid JSON array of strings, so each is shell form.
RUN [ -d /tmp ] && echo "tmp exists"
CMD ['sh', '-c', 'echo single quotes are not JSON']
ENTRYPOINT ["sh", "-c", "echo trailing comma",]
RUN ["echo", "unterminated"
