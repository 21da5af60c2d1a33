FROM busybox
# A long RUN of the kind official images use, with comments between lines.
RUN set -eux; \
	\
# make sure the directory layout exists
	mkdir -p /usr/local/app/conf /usr/local/app/logs; \
	\
	{ \
		echo 'listen = 8080'; \
		echo 'log = /usr/local/app/logs/app.log'; \
	} > /usr/local/app/conf/app.conf; \
	\
# smoke test
	grep -q 'listen = 8080' /usr/local/app/conf/app.conf
