FROM busybox
RUN echo "double \"escaped\" quotes" 'and $single' && echo $HOME \$HOME
RUN echo unbalanced-looking 'quote "inside" single'
CMD echo "shell form CMD keeps its quotes as written"
