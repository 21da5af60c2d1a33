FROM busybox
RUN ["sh", "-c", "echo \"double quoted\" && echo back\\\\slash > /json.txt"]
ENTRYPOINT [ "/bin/sh", "-c" ]
CMD ["echo caf\u00e9 \u2713", "ignored"]
RUN [ "echo" , "spaces around", "commas" ]
