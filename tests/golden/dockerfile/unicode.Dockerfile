FROM busybox
ENV GREETING="héllo wörld" JAPANESE=日本語
LABEL description="Ünïcödé label ✓"
RUN echo "✓ $GREETING $JAPANESE" > /unicode.txt
CMD ["cat", "/unicode.txt"]
