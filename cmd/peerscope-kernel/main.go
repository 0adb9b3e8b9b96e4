// Command peerscope-kernel starts the peerscope Jupyter kernel with its ports
// already listening. The kernelspec that `peerscope kernel install` writes
// runs it as
//
//	peerscope-kernel /path/to/peerscope kernel --connection-file FILE
//
// It binds the TCP ports named in FILE within a few milliseconds of launch,
// then executes the rest of its arguments in its own place (same process, so
// the front end's signals still reach the kernel; a program without a slash
// is looked up in PATH), handing the listening sockets over. The peerscope binary takes far longer to start, and a front
// end whose first connection is refused retries only 100–200 ms later;
// package kernel/protocol/prebind explains the details. When the ports cannot
// be bound here (an ipc transport, a port in use…) the kernel is executed
// anyway and binds, or reports the error, itself.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/peerscope/peerscope/kernel/protocol/prebind"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] == "" || os.Args[1][0] == '-' {
		fmt.Fprintln(os.Stderr, "usage: peerscope-kernel /path/to/peerscope kernel --connection-file FILE")
		os.Exit(2)
	}
	args := os.Args[1:]
	env := os.Environ()
	if fds, ok := prebind.Listen(args); ok {
		entry, err := prebind.Handoff(fds)
		if err != nil {
			fmt.Fprintln(os.Stderr, "peerscope-kernel: handing over the listening sockets:", err)
			os.Exit(1)
		}
		env = append(env, entry)
	}
	program, err := exec.LookPath(args[0])
	if err == nil {
		err = syscall.Exec(program, args, env)
	}
	fmt.Fprintf(os.Stderr, "peerscope-kernel: executing %s: %v\n", args[0], err)
	os.Exit(127)
}
