FROM busybox
ENV NAME=world
RUN <<'EOF'
echo "single-quoted delimiter: $NAME stays literal for the builder"
EOF
RUN <<"EOF"
echo "double-quoted delimiter: ${NAME} too"
EOF
COPY <<EOF <<'RAW' /out/
expanded: $NAME
EOF
raw: $NAME
RAW
