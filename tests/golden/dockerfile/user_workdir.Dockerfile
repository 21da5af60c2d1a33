FROM busybox
RUN addgroup -S app && adduser -S -G app -h /home/app app
WORKDIR /srv
WORKDIR relative/path
ENV HOME=/home/app
WORKDIR $HOME
USER app
USER 1000:1000
USER app:app
RUN pwd && id
