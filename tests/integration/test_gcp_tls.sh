#!/bin/sh
# `sealtrain api` over TLS to a real HTTP/2 server (Debian's nghttpd) on 127.0.0.1,
# with a certificate authority made up for this run:
#  - with endpoints.ca_file naming that CA the call succeeds, and both ends say the
#    request went over HTTP/2 (nghttpd's "negotiated protocol" line, sealtrain -v);
#  - without ca_file the same call fails with a TLS verification error;
#  - with ca_file but a host name the certificate does not carry it still fails, so
#    the extra CA does not switch host name checks off.
# Skips (77) when nghttpd or openssl is missing, except under CI ($CI set), where a
# missing tool is a failure.
set -u
: "${ST_CONSOLE:?ST_CONSOLE must name the sealtrain binary}"

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ -x "/usr/sbin/$1" ] && return 0
	if [ -z "${CI:-}" ]; then
		echo "$1 not found (Debian package $2): skipping"
		exit 77
	fi
	echo "$1 not found (Debian package $2) and \$CI is set: this test must run under CI"
	exit 1
}
need nghttpd nghttp2-server
need openssl openssl
need python3 python3
PATH="$PATH:/usr/sbin"

dir=$(mktemp -d "${TMPDIR:-/tmp}/st-gcp-tls.XXXXXX") || exit 1
srv=""
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*"
	exit 1
}

# A throwaway CA and a server certificate for IP 127.0.0.1 signed by it.
mkcerts() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "/CN=sealtrain test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' \
		>"$dir/ext.cnf" &&
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.pem"
}
mkcerts >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log"; fail "openssl could not make the test certificates"; }

mkdir "$dir/www" && printf '{"served":"by nghttpd","n":42}\n' >"$dir/www/data.json" || exit 1

# nghttpd cannot report a port it was given as 0: take a free one and try again if
# something else grabs it first. "listen" in its log means the bind worked.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=""
for try in 1 2 3 4 5; do
	p=$(free_port) || fail "no free port"
	nghttpd -v -a 127.0.0.1 -d "$dir/www" "$p" "$dir/server.key" "$dir/server.pem" >"$dir/nghttpd.log" 2>&1 &
	srv=$!
	i=0
	while [ $i -lt 100 ] && kill -0 "$srv" 2>/dev/null && ! grep -q "listen 127.0.0.1:$p" "$dir/nghttpd.log"; do
		sleep 0.05
		i=$((i + 1))
	done
	if kill -0 "$srv" 2>/dev/null && grep -q "listen 127.0.0.1:$p" "$dir/nghttpd.log"; then
		port=$p
		break
	fi
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	srv=""
	echo "# nghttpd did not start on port $p (try $try)"
done
[ -n "$port" ] || fail "nghttpd did not start"
url="https://127.0.0.1:$port/data.json"

# The token is a dummy, and nghttpd's verbose log (which shows request headers) is
# only ever searched, never printed.
printf 'dummy-access-token-for-tls-test\n' >"$dir/token"
config() {
	{
		printf 'project: tls-test-project\nendpoints:\n  default: https://127.0.0.1:%s\n' "$port"
		[ -n "$1" ] && printf '  ca_file: %s\n' "$1"
		printf 'credentials:\n  source: token-file\n  file: %s\n' "$dir/token"
	} >"$dir/sealtrain.yaml"
}
api() {
	env -u SSL_CERT_FILE -u SSL_CERT_DIR -u CURL_CA_BUNDLE -u https_proxy -u HTTPS_PROXY \
		HOME="$dir" XDG_STATE_HOME="$dir/state" XDG_CONFIG_HOME="$dir/cfg" \
		timeout 60 "$ST_CONSOLE" -v --config "$dir/sealtrain.yaml" api "$1" >"$dir/out" 2>"$dir/err"
}
show() {
	echo "--- stdout"; cat "$dir/out"; echo "--- stderr"; cat "$dir/err"
}

# 1. Trusted through ca_file: the JSON comes back, over HTTP/2 at both ends.
config "$dir/ca.pem"
api "$url"
rc=$?
[ $rc -eq 0 ] || { show; fail "with ca_file: exit $rc, want 0"; }
grep -q '"served": "by nghttpd"' "$dir/out" || { show; fail "with ca_file: the served JSON is not on stdout"; }
grep -q "^sealtrain api: HTTP 200 over HTTP/2 after 1 attempt" "$dir/err" ||
	{ show; fail "with ca_file: sealtrain -v does not report HTTP 200 over HTTP/2"; }
grep -q "The negotiated protocol: h2" "$dir/nghttpd.log" || fail "nghttpd did not negotiate h2"
grep -q "recv (stream_id=[0-9]*) :path: /data.json" "$dir/nghttpd.log" || fail "nghttpd saw no HTTP/2 request for /data.json"
if grep -q dummy-access-token "$dir/out" "$dir/err"; then fail "the access token was printed"; fi
echo "ok 1 - ca_file trusted, HTTP/2 negotiated"

# A call the client must refuse: exit 1, nothing on stdout, and a one-line reason
# that says TLS verification failed and contains $2.
expect_refused() {
	api "$1"
	rc=$?
	[ $rc -eq 1 ] || { show; fail "$3: exit $rc, want 1"; }
	grep -q "^sealtrain api: UNAVAILABLE: TLS verification of the server failed: .*$2" "$dir/err" ||
		{ show; fail "$3: no clear TLS verification error"; }
	[ -s "$dir/out" ] && { show; fail "$3: something on stdout"; }
	return 0
}

# 2. No ca_file: the system's trust does not know this CA, so verification fails.
config ""
expect_refused "$url" certificate "without ca_file"
echo "ok 2 - without ca_file the certificate is refused"

# 3. ca_file set, but a name the certificate does not carry: still refused.
config "$dir/ca.pem"
expect_refused "https://localhost:$port/data.json" localhost "wrong host name"
echo "ok 3 - host names are still checked with ca_file"

# 4. A ca_file that is not there is a config error at its line, before any request.
config "$dir/missing-ca.pem"
api "$url"
rc=$?
[ $rc -eq 2 ] || { show; fail "missing ca_file: exit $rc, want 2"; }
grep -q "sealtrain.yaml:4:12: endpoints.ca_file: .*missing-ca.pem.*: cannot open: No such file or directory" "$dir/err" ||
	{ show; fail "missing ca_file: no file:line:col error"; }
echo "ok 4 - a missing ca_file is a config error"
exit 0
