#!/usr/bin/env bash
# pkcs11_tool_test.sh WORLD MODULE SOFTCARD_CTL: OpenSC's pkcs11-tool, a client nobody here wrote,
# against libsoftcard.so on a private copy of the world: it lists slots and objects, signs on both
# slots of `tolvan` (the signing slot with its context-specific login) and on `ulla`'s EC key, the
# signatures verify with `openssl dgst -verify` against the certificates, and wrong PINs tried by
# several processes at once are all counted (the state file's lock).
set -euo pipefail
world=${1:?} module=${2:?} ctl=${3:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$world/cards" "$world/softcard.json" "$tmp/"
export SOFTCARD_CONF=$tmp/softcard.json
cards=$tmp/cards
fail() { echo "FAIL: $*" >&2; exit 1; }

# Under `make test-asan` the module is built with ASan but pkcs11-tool is not: the ASan runtime
# must be loaded first, so preload the very libasan the module links against. pkcs11-tool's own
# leaks at exit are not the module's, so leak checking is off for it.
asan=$(ldd "$module" | awk '/libasan/ {print $3}')
p11() {
  if [ -n "$asan" ]; then
    LD_PRELOAD=$asan ASAN_OPTIONS=detect_leaks=0 pkcs11-tool --module "$module" "$@"
  else
    pkcs11-tool --module "$module" "$@"
  fi
}

p11 --list-slots >"$tmp/slots" 2>&1 || { cat "$tmp/slots"; fail "--list-slots"; }
grep -q "Tolvan Tolvansson (legitimering)" "$tmp/slots" || fail "identification token not listed"
grep -q "Tolvan Tolvansson (underskrift)" "$tmp/slots" || fail "signing token not listed"
grep -q "serial num *: 9752270000000001" "$tmp/slots" || fail "serial not listed"

p11 --slot 1 --list-objects >"$tmp/objects" 2>&1 || fail "--list-objects"
grep -q "Certificate Object" "$tmp/objects" || fail "no certificate on slot 1"
grep -q "ID: *02" "$tmp/objects" || fail "no object with ID 02"
grep -q "ID: *04" "$tmp/objects" || fail "no object with ID 04"
if grep -q "Private Key Object" "$tmp/objects"; then fail "private key visible without login"; fi
p11 --slot 1 --login --pin 654321 --list-objects >"$tmp/objects" 2>&1 || fail "--login --list-objects"
grep -q "Private Key Object" "$tmp/objects" || fail "no private key after login"

printf 'Intyg: Tolvan Tolvansson, 2026-11-23\n' >"$tmp/data"
# slot|PIN|CKA_ID|certificate
for row in 0\|123456\|01\|id-hsa 0\|123456\|03\|id-pnr 1\|654321\|02\|sign-hsa 1\|654321\|04\|sign-pnr; do
  IFS='|' read -r slot pin id cert <<<"$row"
  p11 --slot "$slot" --login --pin "$pin" --sign --id "$id" -m SHA256-RSA-PKCS \
    -i "$tmp/data" -o "$tmp/sig" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "sign slot $slot id $id"; }
  openssl x509 -in "$cards/tolvan/$cert.pem" -pubkey -noout >"$tmp/pub.pem"
  openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/sig" "$tmp/data" >/dev/null ||
    fail "signature of slot $slot id $id does not verify"
done

# EC: ulla's signing key, ECDSA over SHA-256, in OpenSSL's DER form for openssl dgst.
"$ctl" "$tmp" insert ulla
p11 --slot 3 --login --pin 654321 --sign --id 02 -m ECDSA-SHA256 --signature-format openssl \
  -i "$tmp/data" -o "$tmp/sig" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "ECDSA sign"; }
openssl x509 -in "$cards/ulla/sign-hsa.pem" -pubkey -noout >"$tmp/pub.pem"
openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/sig" "$tmp/data" >/dev/null ||
  fail "ECDSA signature does not verify"

# A wrong PIN is refused and counted.
if p11 --slot 0 --login --pin 000000 --list-objects >/dev/null 2>&1; then fail "wrong PIN accepted"; fi
status=$("$ctl" "$tmp" status)
grep -q "^tolvan    yes       2 " <<<"$status" || { echo "$status"; fail "wrong PIN not counted"; }

# Three processes try a wrong signing PIN at the same moment: every try counts, none is lost.
pids=()
for _ in 1 2 3; do
  p11 --slot 1 --login --pin 999999 --list-objects >/dev/null 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
status=$("$ctl" "$tmp" status)
grep -q "^tolvan    yes       2         0 " <<<"$status" ||
  { echo "$status"; fail "concurrent wrong PINs not all counted"; }
p11 --slot 1 --login --pin 654321 --list-objects >"$tmp/log" 2>&1 && fail "blocked PIN accepted"
grep -q CKR_PIN_LOCKED "$tmp/log" || { cat "$tmp/log"; fail "no CKR_PIN_LOCKED"; }
echo "pkcs11-tool: slots, objects, RSA and EC signatures, PIN counting: all good"
