FROM busybox
ONBUILD RUN echo "triggered in the child build"
ONBUILD COPY . /app/src
onbuild ENV TRIGGERED=yes
ONBUILD RUN ["echo", "json trigger"]
