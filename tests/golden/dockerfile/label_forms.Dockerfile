FROM busybox
LABEL version="1.0"
LABEL com.example.vendor="ACME Inc" com.example.release-date="2015-02-12"
LABEL "quoted.key"="value" unquoted=value
LABEL description="This text illustrates \
that label-values can span multiple lines."
LABEL legacy-key legacy value with spaces
