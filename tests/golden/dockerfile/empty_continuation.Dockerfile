FROM busybox
RUN echo start \

    && echo after-empty-line \
   
    && echo end
CMD ["true"]
