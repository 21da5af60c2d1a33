FROM busybox
RUN cat <<FIRST > /first.txt && cat <<SECOND > /second.txt
content of the first
FIRST
content of the second
SECOND
RUN 3<<FD cat <&3
read from file descriptor 3
FD
