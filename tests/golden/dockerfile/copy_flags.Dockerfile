FROM busybox AS files
RUN mkdir -p /src && echo a > /src/a.txt && echo b > /src/b.txt

FROM busybox
COPY --from=files --chown=1000:1000 --chmod=0644 /src/a.txt /dst/
COPY --link --from=files /src/ /linked/
COPY --from=files --chown=nobody /src/b.txt /src/a.txt /both/
RUN ls -ln /dst /linked /both
