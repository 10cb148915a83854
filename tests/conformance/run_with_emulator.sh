#!/usr/bin/env bash
# Runs COMMAND against a private gdmount-emulator and always stops it.
#
#   run_with_emulator.sh EMULATOR_BINARY [emulator flags...] -- COMMAND [ARGS...]
#
# Starts EMULATOR_BINARY --port 0 --static-token conformance-token [flags...],
# waits (bounded, RUN_WITH_EMULATOR_START_TIMEOUT seconds, default 15) for its
# first stdout line "gdmount-emulator listening on http://127.0.0.1:PORT",
# then runs COMMAND with
#   DRIVE_ROOT=http://127.0.0.1:PORT/   (trailing slash, as the clients want)
#   DRIVE_TOKEN=conformance-token       (send as "Authorization: Bearer ...")
#   DRIVE_EMULATOR=EMULATOR_BINARY      (absolute; for tests that need more emulators)
# and exits with COMMAND's status (77 = skipped passes through). The emulator
# is sent SIGTERM on any exit (SIGKILL if it is still there after 5 s), and
# its later output goes to stderr.
set -euo pipefail

TOKEN=conformance-token
START_TIMEOUT=${RUN_WITH_EMULATOR_START_TIMEOUT:-15}

usage() {
  echo "usage: $0 EMULATOR_BINARY [emulator flags...] -- COMMAND [ARGS...]" >&2
  exit 2
}

[[ $# -ge 3 ]] || usage
emulator=$1
shift
[[ -x $emulator ]] || { echo "$0: not an executable: $emulator" >&2; exit 2; }
case $emulator in /*) ;; *) emulator="$PWD/$emulator" ;; esac

flags=()
while [[ $# -gt 0 && $1 != -- ]]; do
  flags+=("$1")
  shift
done
[[ $# -ge 2 && $1 == -- ]] || usage
shift

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run_with_emulator.XXXXXX")
emu_pid=
drain_pid=
cmd_pid=

# shellcheck disable=SC2317  # invoked from the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [[ -n $cmd_pid ]] && kill -0 "$cmd_pid" 2>/dev/null; then
    kill -TERM "$cmd_pid" 2>/dev/null || true
    wait "$cmd_pid" 2>/dev/null || true
  fi
  if [[ -n $emu_pid ]] && kill -0 "$emu_pid" 2>/dev/null; then
    kill -TERM "$emu_pid" 2>/dev/null || true
    local deadline=$((SECONDS + 5))
    while kill -0 "$emu_pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.05
    done
    if kill -0 "$emu_pid" 2>/dev/null; then
      echo "$0: emulator $emu_pid ignored SIGTERM; killing it" >&2
      kill -KILL "$emu_pid" 2>/dev/null || true
    fi
    wait "$emu_pid" 2>/dev/null || true
  fi
  # The drain ends on EOF once the emulator is gone; make sure regardless.
  if [[ -n $drain_pid ]]; then
    kill "$drain_pid" 2>/dev/null || true
    wait "$drain_pid" 2>/dev/null || true
  fi
  exec 3<&- 2>/dev/null || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkfifo "$tmp/stdout"
"$emulator" --port 0 --static-token "$TOKEN" "${flags[@]}" >"$tmp/stdout" 2>"$tmp/stderr" &
emu_pid=$!
exec 3<"$tmp/stdout"  # returns once the emulator's side has opened the FIFO

line=
read_rc=0
IFS= read -r -t "$START_TIMEOUT" line <&3 || read_rc=$?
if [[ $read_rc -ne 0 ]]; then
  if [[ $read_rc -gt 128 ]]; then
    why="printed no first line within ${START_TIMEOUT}s"
  else
    why="exited before printing its first line"
  fi
  echo "$0: the emulator $why" \
       "(command: $emulator --port 0 --static-token $TOKEN ${flags[*]})" >&2
  sed 's/^/  emulator stderr: /' "$tmp/stderr" >&2 || true
  exit 1
fi
url_re='^gdmount-emulator listening on (http://[^ ]+)$'
if [[ ! $line =~ $url_re ]]; then
  echo "$0: unexpected first line from the emulator: '$line'" >&2
  exit 1
fi
url=${BASH_REMATCH[1]%/}

# Keep reading the emulator's stdout so it never blocks on a full pipe;
# its stderr file is shown if COMMAND fails.
cat <&3 >&2 &
drain_pid=$!
exec 3<&-

export DRIVE_ROOT="$url/"
export DRIVE_TOKEN="$TOKEN"
export DRIVE_EMULATOR="$emulator"

# In the background so that a signal to this script is handled at once
# (cleanup then stops COMMAND too).
"$@" &
cmd_pid=$!
set +e
wait "$cmd_pid"
rc=$?
set -e
cmd_pid=
if [[ $rc -ne 0 && $rc -ne 77 && -s $tmp/stderr ]]; then
  echo "--- emulator stderr (${flags[*]:-no extra flags}) ---" >&2
  tail -n 50 "$tmp/stderr" >&2
fi
exit "$rc"
