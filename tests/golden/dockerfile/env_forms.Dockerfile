FROM busybox
ENV LEGACY the value is the rest of the line
ENV A=1 B="two words" C='single $quoted' D=four\ words
ENV E="escaped \"quote\"" \
    F=x=y \
    G=
ENV H "legacy with quotes"
RUN env | sort
