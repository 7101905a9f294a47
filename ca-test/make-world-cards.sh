# make-world-cards.sh: the --card syntax of make-world (sourced by it): the usage text, and
# parse_card, which reads one NAME:KEY=VALUE,… into the variables make-world issues a card from.
# Test keys only: these describe test cards of a test world.

card_usage() {
  cat >&2 <<'EOF2'
--card NAME:KEY=VALUE,KEY=VALUE,...   (NAME: lower-case letters, digits and -)
  name=GIVEN SURNAME     the holder (required for a new card)
  org=ORGANIZATION       O of the certificates (default Testregionen Västra)
  hsaid=SE…-…            the HSA-ID (default SE5560000001-P0000000001NN)
  pnr=YYYYMMDDNNNN       adds a personnummer pair (issued by the Person ID CA)
  expires=DAYS|DATE      days from today (negative: expired) or YYYY-MM-DD (default 1826)
  pin-tries=N|ID/SIGN    tries left of both PINs, or of each (0 blocks; default 3)
  key=rsa|ec             RSA-2048 or EC P-256 (default rsa)
  sign=no                no signature certificate (a new card)
  revoked=yes            both certificates revoked
  pinpad=yes             a PIN-pad reader
  inserted=yes|no        in its reader at first (default no; tolvan yes)
Values may hold spaces and UTF-8, no comma. PINs are always 123456 / 654321, PUK 12345678.
EOF2
}

card_error() { echo "make-world: --card $1: $2" >&2; card_usage; exit 2; }
yes_no() { # SPEC KEY VALUE
  case $3 in yes|no) echo "$3" ;; *) card_error "$1" "$2 must be yes or no" ;; esac
}
tries() { # SPEC VALUE
  [[ $2 =~ ^[0-3]$ ]] || card_error "$1" "pin-tries must be 0 to 3 (or ID/SIGN)"
  echo "$2"
}
# expires=: days from today, or a date (the certificate ends during that day, UTC).
days_until() { # SPEC VALUE
  if [[ $2 =~ ^[+-]?[0-9]{1,5}$ ]]; then
    local days=$((10#${2#[+-]}))
    [ "${2:0:1}" = - ] && days=$((-days))
    echo "$days"
  elif [[ $2 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && date -u -d "$2" >/dev/null 2>&1; then
    echo $((($(date -u -d "$2 23:59:59" +%s) - $(date -u +%s)) / 86400))
  else
    card_error "$1" "expires: days from today (e.g. 20 or -1) or YYYY-MM-DD"
  fi
}
# parse_card SPEC N: sets name holder given surname org hsaid pnr start end id_tries sign_tries
# keytype sign revoked pinpad inserted for the N-th card.
parse_card() {
  local spec=$1 field key value fields parts=()
  name=${spec%%:*}
  fields=""
  [ "$name" = "$spec" ] || fields=${spec#*:}
  [[ $name =~ ^[a-z0-9][a-z0-9-]{0,31}$ ]] || card_error "$spec" "NAME must be lower-case letters, digits and -"
  holder="" org="Testregionen Västra" hsaid=$(printf 'SE5560000001-P0000000001%02d' "$2") pnr=""
  end=1826 id_tries=3 sign_tries=3 keytype=rsa sign=yes revoked=no pinpad=no inserted=no
  IFS=',' read -ra parts <<<"$fields"
  for field in "${parts[@]}"; do
    [ -n "$field" ] || continue
    key=${field%%=*} value=${field#*=}
    [ "$key" != "$field" ] || card_error "$spec" "'$field' is not KEY=VALUE"
    case $key in
      name | org)
        # Both go into certificate subjects (/-separated) and JSON as they are.
        if [[ $value =~ [\"\\/[:cntrl:]] ]]; then card_error "$spec" "$key: no \", \\ or / in a name"; fi
        if [ "$key" = name ]; then holder=$value; else org=$value; fi ;;
      hsaid)
        [[ $value =~ ^SE[0-9]{10}-[A-Za-z0-9]{1,31}$ ]] ||
          card_error "$spec" "hsaid: SE + 10 digits + - + 1..31 letters or digits"
        hsaid=$value ;;
      pnr)
        [[ $value =~ ^[0-9]{12}$ ]] || card_error "$spec" "pnr: 12 digits (YYYYMMDDNNNN)"
        pnr=$value ;;
      expires) end=$(days_until "$spec" "$value") ;;
      pin-tries)
        if [[ $value == */* ]]; then
          id_tries=$(tries "$spec" "${value%%/*}") sign_tries=$(tries "$spec" "${value#*/}")
        else
          id_tries=$(tries "$spec" "$value") sign_tries=$id_tries
        fi ;;
      key) case $value in rsa | ec) keytype=$value ;; *) card_error "$spec" "key must be rsa or ec" ;; esac ;;
      sign) sign=$(yes_no "$spec" sign "$value") ;;
      revoked) revoked=$(yes_no "$spec" revoked "$value") ;;
      pinpad) pinpad=$(yes_no "$spec" pinpad "$value") ;;
      inserted) inserted=$(yes_no "$spec" inserted "$value") ;;
      *) card_error "$spec" "unknown key '$key'" ;;
    esac
  done
  [ -n "$holder" ] || card_error "$spec" "name=GIVEN SURNAME is required"
  given=${holder%% *} surname=${holder#* }
  [ "$surname" != "$holder" ] || card_error "$spec" "name= needs a given name and a surname"
  start=-30
  # An expired card's certificates were valid for 400 days up to their end.
  [ "$end" -gt 0 ] || start=$((end - 399))
}

# The key file stems of the parsed card: the HSA-ID pair, and the personnummer pair with a pnr.
card_stems() {
  local stems=(id-hsa)
  [ "$sign" = yes ] && stems+=(sign-hsa)
  if [ -n "$pnr" ]; then
    stems+=(id-pnr)
    [ "$sign" = yes ] && stems+=(sign-pnr)
  fi
  echo "${stems[@]}"
}
