FROM busybox
RUN <<EOF
set -e
echo "first line" > /heredoc.txt
echo "second line" >> /heredoc.txt
EOF
RUN <<EOF
#!/bin/sh
echo "a script with a shebang"
EOF
RUN cat /heredoc.txt
