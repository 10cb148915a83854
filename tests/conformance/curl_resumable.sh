#!/usr/bin/env bash
# Conformance check of the raw resumable upload protocol (shared reference
# drive-v3-protocol.md §5.3) with plain curl against gdmount-emulator.
#
#   run_with_emulator.sh EMULATOR -- curl_resumable.sh [all|default|strict|ttl]
#
# Needs DRIVE_ROOT (with trailing slash), DRIVE_TOKEN and, for "all" (the
# default), DRIVE_EMULATOR: run_with_emulator.sh sets them. "all" runs the
# default-emulator checks here, then starts two more emulators through
# run_with_emulator.sh: one with --strict-chunks ("strict"), one with
# --session-ttl 1 ("ttl"). Exit codes: 0 passed, 1 failed, 2 bad invocation,
# 77 skipped (curl, python3 or md5sum missing).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
phase=${1:-all}
label=$phase
[[ $label != all ]] || label=default
KIB=1024
CHUNK=$((256 * KIB))

for tool in curl python3 md5sum dd; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done
if [[ -z ${DRIVE_ROOT:-} || ${DRIVE_ROOT: -1} != / || -z ${DRIVE_TOKEN:-} ]]; then
  echo "usage: run_with_emulator.sh EMULATOR -- $0 [all|default|strict|ttl]" >&2
  echo "       (or set DRIVE_ROOT=http://127.0.0.1:PORT/ and DRIVE_TOKEN)" >&2
  exit 2
fi
case $DRIVE_ROOT in
  http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*) ;;
  *) echo "refusing to run against a non-loopback DRIVE_ROOT: $DRIVE_ROOT" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/curl_resumable.XXXXXX")
trap 'rm -rf "$work"' EXIT

n=0
last_req=
ok() {
  n=$((n + 1))
  echo "ok $n - [$label] $*"
}
fail() {
  echo "not ok $((n + 1)) - [$label] $*"
  if [[ -n $last_req ]]; then
    echo "  request:  $last_req"
    echo "  response headers:"
    sed 's/^/    /' "$work/h" 2>/dev/null | tr -d '\r'
    echo "  response body:"
    head -c 2000 "$work/b" 2>/dev/null | sed 's/^/    /'
    echo
  fi
  exit 1
}

# http METHOD URL [curl args...]: sets $code; headers in $work/h, body in $work/b.
http() {
  local method=$1 url=$2
  shift 2
  last_req="$method $url $*"
  code=$(curl -sS --noproxy '*' --max-time 30 -X "$method" -o "$work/b" -D "$work/h" \
              -w '%{http_code}' -H "Authorization: Bearer $DRIVE_TOKEN" \
              -H 'Expect:' "$@" "$url") || fail "curl could not complete $method $url"
}
# hdr NAME: the last value of response header NAME ('' if absent).
hdr() {
  tr -d '\r' <"$work/h" | awk -v name="$1" '
    BEGIN { name = tolower(name) }
    { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == name) {
        v = substr($0, i + 1); sub(/^[ \t]+/, "", v); val = v } }
    END { print val }'
}
# json EXPR: evaluates a Python expression over the response body as `j`.
json() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if not isinstance(v,(dict,list,bool)) else json.dumps(v))' \
    "$work/b" "$1"
}
expect_code() {  # expect_code WANT what
  [[ $code == "$1" ]] || fail "$2: expected HTTP $1, got $code"
}
expect_eq() {  # expect_eq GOT WANT what
  [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"
}
expect_error_body() {  # expect_error_body what: a §10.1 JSON error for $code
  local c
  c=$(json 'str(j["error"]["code"]) if j["error"]["errors"] else "no errors[]"' 2>/dev/null) ||
    c="(no JSON error body)"
  expect_eq "$c" "$code" "$1: error.code of the JSON error body"
}
expect_reason() {  # expect_reason REASON what
  local r
  r=$(json 'j["error"]["errors"][0]["reason"]' 2>/dev/null) || r="(no JSON error body)"
  expect_eq "$r" "$1" "$2: errors[0].reason"
}
# slice FILE START LEN: writes $work/chunk.
slice() {
  dd if="$1" of="$work/chunk" bs=64K iflag=skip_bytes,count_bytes skip="$2" count="$3" \
     status=none
}
md5() { md5sum "$1" | cut -d' ' -f1; }

UPLOAD="${DRIVE_ROOT}upload/drive/v3/files"
API="${DRIVE_ROOT}drive/v3/files"

# initiate NAME TOTAL: a resumable create session; sets $session.
initiate() {
  http POST "$UPLOAD?uploadType=resumable" \
       -H 'Content-Type: application/json; charset=UTF-8' \
       -H 'X-Upload-Content-Type: application/octet-stream' \
       -H "X-Upload-Content-Length: $2" \
       --data-binary "{\"name\":\"$1\"}"
  expect_code 200 "initiation"
  session=$(hdr Location)
  [[ -n $session ]] || fail "initiation: 200 without a Location header"
  [[ $session == *upload_id=* ]] || fail "initiation: Location without upload_id: $session"
  [[ $session == "${DRIVE_ROOT%/}"/* ]] || fail "initiation: Location not on the emulator: $session"
}
# put_chunk FILE START LEN TOTAL: PUT bytes START..START+LEN-1 of FILE.
put_chunk() {
  slice "$1" "$2" "$3"
  http PUT "$session" -H 'Content-Type:' \
       -H "Content-Range: bytes $2-$(($2 + $3 - 1))/$4" --data-binary @"$work/chunk"
}
# status_query TOTAL
status_query() {
  http PUT "$session" -H 'Content-Type:' -H "Content-Range: bytes */$1" \
       --data-binary @/dev/null
}

phase_default() {
  local total=$((3 * CHUNK + 1000)) data="$work/data.bin"
  head -c "$total" /dev/urandom >"$data"

  initiate curl-resumable.bin "$total"
  [[ -z $(cat "$work/b") ]] || fail "initiation: the body must be empty"
  ok "initiate: 200 + Location"

  put_chunk "$data" 0 "$CHUNK" "$total"
  expect_code 308 "first 256 KiB chunk"
  expect_eq "$(hdr Range)" "bytes=0-262143" "Range after the first chunk"
  ok "256 KiB chunk: 308 Range bytes=0-262143"

  status_query "$total"
  expect_code 308 "status query"
  expect_eq "$(hdr Range)" "bytes=0-262143" "Range from the status query"
  ok "status query (Content-Range bytes */N): 308, same Range"

  put_chunk "$data" 0 $((2 * CHUNK)) "$total"
  expect_code 308 "chunk overlapping received bytes (re-sent from 0)"
  expect_eq "$(hdr Range)" "bytes=0-524287" "Range after the overlapping chunk"
  ok "overlapping re-send from 0: accepted, 308 Range bytes=0-524287"

  put_chunk "$data" $((3 * CHUNK)) 1000 "$total"
  expect_code 400 "chunk starting past the received offset"
  expect_error_body "chunk starting past the received offset"
  status_query "$total"
  expect_code 308 "status query after the refused chunk"
  expect_eq "$(hdr Range)" "bytes=0-524287" "Range after the refused chunk"
  ok "chunk starting past the received offset: 400, session unchanged"

  put_chunk "$data" $((2 * CHUNK)) $((CHUNK + 500)) "$total"
  expect_code 308 "non-final chunk that is not a 256 KiB multiple"
  expect_eq "$(hdr Range)" "bytes=0-786431" "Range after an unaligned chunk (aligned prefix kept)"
  status_query "$total"
  expect_eq "$(hdr Range)" "bytes=0-786431" "Range from the status query after the unaligned chunk"
  ok "unaligned non-final chunk: 308, only the aligned prefix kept"

  put_chunk "$data" $((3 * CHUNK)) 1000 "$total"
  expect_code 200 "final chunk"
  local id
  id=$(json 'j["id"]') || fail "final chunk: no file JSON"
  expect_eq "$(json 'j["name"]')" "curl-resumable.bin" "name of the uploaded file"
  http GET "$API/$id?fields=id,size,md5Checksum"
  expect_code 200 "files.get after the upload"
  expect_eq "$(json 'j["size"]')" "$total" "size"
  expect_eq "$(json 'j["md5Checksum"]')" "$(md5 "$data")" "md5Checksum"
  http GET "$API/$id?alt=media"
  expect_code 200 "download"
  cmp -s "$work/b" "$data" || fail "downloaded bytes differ from the upload"
  ok "final chunk: 200 with the file; files.get size/md5 and bytes match"

  status_query "$total"
  expect_code 200 "status query after completion"
  expect_eq "$(json 'j["id"]')" "$id" "file returned by the status query after completion"
  ok "status query after completion: 200 with the file"

  initiate empty-range.bin 0
  http PUT "$session" -H 'Content-Type:' -H 'Content-Range: bytes 0--1/0' \
       --data-binary @/dev/null
  expect_code 400 "empty upload with Content-Range bytes 0--1/0"
  expect_error_body "empty upload with Content-Range bytes 0--1/0"
  ok "empty upload with Content-Range bytes 0--1/0: 400"

  initiate empty.bin 0
  http PUT "$session" -H 'Content-Type:' --data-binary @/dev/null
  expect_code 200 "empty upload: single PUT, Content-Length 0, no Content-Range"
  id=$(json 'j["id"]') || fail "empty upload: no file JSON"
  http GET "$API/$id?fields=size,md5Checksum"
  expect_code 200 "files.get of the empty file"
  expect_eq "$(json 'j["size"]')" "0" "size of the empty file"
  expect_eq "$(json 'j["md5Checksum"]')" "d41d8cd98f00b204e9800998ecf8427e" "md5 of the empty file"
  ok "empty upload (X-Upload-Content-Length: 0, PUT Content-Length: 0): 200 size 0"
}

phase_strict() {
  local total=$((2 * CHUNK + 10)) data="$work/data.bin"
  head -c "$total" /dev/urandom >"$data"
  initiate strict.bin "$total"
  put_chunk "$data" 0 $((CHUNK + 5000)) "$total"
  expect_code 400 "--strict-chunks: non-final chunk that is not a 256 KiB multiple"
  expect_error_body "--strict-chunks: unaligned chunk"
  status_query "$total"
  expect_code 308 "status query after the refused chunk"
  expect_eq "$(hdr Range)" "" "Range after the refused chunk (nothing persisted: no header)"
  ok "--strict-chunks: unaligned non-final chunk → 400, nothing kept"

  put_chunk "$data" 0 "$CHUNK" "$total"
  expect_code 308 "aligned chunk after the refusal"
  expect_eq "$(hdr Range)" "bytes=0-262143" "Range"
  put_chunk "$data" "$CHUNK" $((CHUNK + 10)) "$total"
  expect_code 200 "final chunk (need not be a 256 KiB multiple)"
  local id
  id=$(json 'j["id"]')
  http GET "$API/$id?fields=size,md5Checksum"
  expect_eq "$(json 'j["size"]')" "$total" "size"
  expect_eq "$(json 'j["md5Checksum"]')" "$(md5 "$data")" "md5Checksum"
  ok "--strict-chunks: aligned chunks and an unaligned final chunk complete the upload"
}

phase_ttl() {
  local total=$((2 * CHUNK)) data="$work/data.bin"
  head -c "$total" /dev/urandom >"$data"
  initiate ttl.bin "$total"
  put_chunk "$data" 0 "$CHUNK" "$total"
  expect_code 308 "chunk within the session lifetime"
  ok "--session-ttl 1: session usable at first (308)"

  # Poll the status query until the session is gone, bounded by a deadline.
  local deadline=$((SECONDS + 20)) polls=0
  while :; do
    status_query "$total"
    polls=$((polls + 1))
    [[ $code == 308 ]] || break
    ((SECONDS < deadline)) || fail "session still alive 20 s after initiation with --session-ttl 1"
    sleep 0.1
  done
  expect_code 404 "status query on an expired session"
  ok "status query flips from 308 to 404 once the TTL has passed ($polls polls)"

  put_chunk "$data" "$CHUNK" "$CHUNK" "$total"
  expect_code 404 "PUT to an expired session"
  expect_reason notFound "PUT to an expired session"
  ok "PUT to an expired session: 404 notFound (restart with a new initiation)"
}

case $phase in
  default) phase_default ;;
  strict) phase_strict ;;
  ttl) phase_ttl ;;
  all)
    [[ -n ${DRIVE_EMULATOR:-} ]] || { echo "phase 'all' needs DRIVE_EMULATOR (run_with_emulator.sh sets it)" >&2; exit 2; }
    phase_default
    echo "# strict chunks: a second emulator with --strict-chunks"
    bash "$HERE/run_with_emulator.sh" "$DRIVE_EMULATOR" --strict-chunks -- bash "$SELF" strict
    echo "# session expiry: a third emulator with --session-ttl 1"
    bash "$HERE/run_with_emulator.sh" "$DRIVE_EMULATOR" --session-ttl 1 -- bash "$SELF" ttl
    ;;
  *)
    echo "unknown phase '$phase' (all, default, strict, ttl)" >&2
    exit 2
    ;;
esac
echo "curl resumable [$phase]: all checks passed"
