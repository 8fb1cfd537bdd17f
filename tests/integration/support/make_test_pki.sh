#!/bin/sh
# make_test_pki.sh DIR: a throwaway PKI for the TLS integration tests, made with the openssl
# command at test time (no key or certificate is checked in). Writes into DIR:
#   ca.crt/.key            the CA Sluice's certificates and the client certificates chain to
#   wrong-ca.crt/.key      another CA: a client trusting only it must refuse Sluice
#   server.crt/.key        CN=localhost, SAN DNS:localhost + IP:127.0.0.1, serial 1001 (hex)
#   server2.crt/.key       the same names, serial 2002: the certificate a reload swaps in
#   client-app.crt/.key    CN=app   (ca)     client-alice.crt/.key  CN=alice (ca)
#   client-rogue.crt/.key  CN=app signed by wrong-ca: verification must fail
# Keys are P-256 (certificates signed with SHA-256, so SCRAM-PLUS binds with SHA-256) and 0600,
# as libpq wants for sslkey.
set -eu
dir=$1
cd "$dir"
umask 077

new_ca() {  # name common-name
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
        -keyout "$1.key" -out "$1.crt" -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

new_leaf() {  # name common-name issuer serial [subjectAltName]
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
        -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\n' > "$1.ext"
    if [ $# -ge 5 ]; then printf 'subjectAltName=%s\n' "$5" >> "$1.ext"; fi
    openssl x509 -req -sha256 -days 2 -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -set_serial "0x$4" \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

new_ca ca "Sluice Test CA"
new_ca wrong-ca "Some Other CA"
new_leaf server localhost ca 1001 "DNS:localhost,IP:127.0.0.1"
new_leaf server2 localhost ca 2002 "DNS:localhost,IP:127.0.0.1"
new_leaf client-app app ca 3001
new_leaf client-alice alice ca 3002
new_leaf client-rogue app wrong-ca 3003
chmod 0644 ./*.crt
