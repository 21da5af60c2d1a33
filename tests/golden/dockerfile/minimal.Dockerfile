FROM busybox
CMD ["sh"]
