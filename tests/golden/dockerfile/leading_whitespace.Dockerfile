FROM busybox
	RUN echo "tab-indented instruction"
    ENV   SPACED=1
  	  CMD    ["sh"]   
