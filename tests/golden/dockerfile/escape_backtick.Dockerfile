# escape=`
FROM busybox
# With the backtick escape a backslash is an ordinary character.
RUN echo C:\Windows\System32 `
    && echo second-line
COPY <<EOF /paths.txt
C:\Program Files\app
EOF
ENV DIR=C:\data LITERAL=`$HOME
WORKDIR /tmp
