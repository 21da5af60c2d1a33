FROM busybox
ADD . /context/
ADD --chmod=0755 <<EOF /usr/local/bin/hello
#!/bin/sh
echo hello from ADD
EOF
ADD ["<<not-a-heredoc-in-json", "/json-dest"]
RUN /usr/local/bin/hello
