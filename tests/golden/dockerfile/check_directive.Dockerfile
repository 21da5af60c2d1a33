# check=skip=JSONArgsRecommended
# escape=\
FROM busybox
CMD echo "shell form CMD"
