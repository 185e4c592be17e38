#!/usr/bin/env bash
# The layers after the unit tests, as two pytest sessions at once (`make test`; the lanes are
# named in the Makefile). Most of the suite waits on a server, a scrape or a single-threaded
# step, so one session leaves about half of two cores idle; the other lane fills it.
# The first lane prints as it goes; the second lane's output follows when both are done.
# Usage: test-lanes.sh PYTHON NAME "LAYER..." NAME "LAYER..."
set -uo pipefail
python=$1 first_name=$2 second_name=$4
read -r -a first <<<"$3"
read -r -a second <<<"$5"
results=build/test-results
mkdir -p "$results"

lane() {  # lane NAME LAYER...: one pytest session over tests/LAYER...
    local name=$1; shift
    # A temporary directory of its own (a session clears old numbered ones when it starts),
    # with a short path: TorchServe's worker sockets live under it (the limit on their path:
    # toxmon/torchserve_process.py, check_socket_path).
    "$python" -m pytest --durations=20 --junitxml="$results/$name.xml" \
        --basetemp="${TMPDIR:-/tmp}/tm-$name" "${@/#/tests/}"
}

lane "$second_name" "${second[@]}" >"$results/$second_name.log" 2>&1 &
second_pid=$!
trap 'kill "$second_pid" 2>/dev/null' INT TERM

lane "$first_name" "${first[@]}"
first_status=$?
wait "$second_pid"
second_status=$?

echo "=================== lane $second_name (${second[*]}), run at the same time ==================="
cat "$results/$second_name.log"
echo "lane $first_name exit $first_status; lane $second_name exit $second_status"
[ "$first_status" -eq 0 ] && [ "$second_status" -eq 0 ]
