FROM busybox
RUN <<-EOF
	if true; then
		echo "tabs are stripped"
	fi
	EOF
RUN cat <<-END > /chomped.txt
	line one
		line two
END
COPY <<-EOF /chomped-copy.txt
		indented twice
	EOF
