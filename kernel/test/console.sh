#!/bin/sh
# Drives `jupyter console --kernel peerscope` in a detached tmux session:
# one cell (6*7 → Out[1]: 42) and one tab completion (strings.HasPre →
# strings.HasPrefix). $1 is a scratch directory.
set -u
tmp=$1
sess="peerscope-console-$$"
tmux new-session -d -s "$sess" -x 160 -y 40 "jupyter console --kernel peerscope" || exit 1
trap 'tmux kill-session -t "$sess" 2>/dev/null' EXIT
wait_for() {
	i=0
	while [ $i -lt 150 ]; do
		tmux capture-pane -p -t "$sess" > "$tmp/pane.txt"
		if grep -q "$1" "$tmp/pane.txt"; then return 0; fi
		sleep 0.2; i=$((i + 1))
	done
	echo "console: timed out waiting for: $1"; cat "$tmp/pane.txt"; return 1
}
wait_for "In \[1\]" || exit 1
tmux send-keys -t "$sess" "6*7" Enter
wait_for "Out\[1\]: 42" || exit 1
tmux send-keys -t "$sess" 'import "strings"' Enter
wait_for "In \[3\]" || exit 1
tmux send-keys -t "$sess" "strings.HasPre" Tab
sleep 1
tmux send-keys -t "$sess" '("peerscope", "peer")' Enter
wait_for "Out\[3\]: true" || exit 1
tmux send-keys -t "$sess" C-d
sleep 0.5
tmux send-keys -t "$sess" y Enter
echo "console: cell and completion ok"
