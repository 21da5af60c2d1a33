from busybox as Lower
Run echo "mixed-case keyword"
eNv KEY=value
copy --from=Lower /etc/hostname /copied
cmd ["sh"]
