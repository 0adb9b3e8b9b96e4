package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/peerscope/peerscope/kernel/protocol/prebind"
)

// helperEnv makes the test binary play a part: with it set, the binary run
// as `BIN kernel --connection-file F` is the kernel (it reports what package
// prebind left it), and run as `BIN PROGRAM ARGS…` it is the launcher.
const helperEnv = "PEERSCOPE_LAUNCHER_TEST"

// report is what the kernel part prints.
type report struct {
	PID     int
	EnvLeft string
	Taken   []int // ports whose socket prebind handed over, listening and close-on-exec
}

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "" {
		os.Exit(m.Run())
	}
	if len(os.Args) > 1 && os.Args[1] == "kernel" {
		os.Exit(kernelPart())
	}
	main()
}

func kernelPart() int {
	raw, err := os.ReadFile(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var conn map[string]any
	if err := json.Unmarshal(raw, &conn); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r := report{PID: os.Getpid(), EnvLeft: os.Getenv("PEERSCOPE_KERNEL_FDS")}
	for _, key := range []string{"shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"} {
		port := int(conn[key].(float64))
		fd, ok := prebind.Take(conn["ip"].(string), port)
		if !ok {
			continue
		}
		sa, err := syscall.Getsockname(fd)
		flags, _, _ := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		listening, _ := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
		if in4, ok := sa.(*syscall.SockaddrInet4); err == nil && ok && in4.Port == port &&
			flags&syscall.FD_CLOEXEC != 0 && listening == 1 {
			r.Taken = append(r.Taken, port)
		}
	}
	json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

func freePorts(t *testing.T) []int {
	var ports []int
	for i := 0; i < 5; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func connectionFile(t *testing.T, ports []int) string {
	path := filepath.Join(t.TempDir(), "kernel-1.json")
	text := fmt.Sprintf(`{"transport": "tcp", "ip": "127.0.0.1", "shell_port": %d, "iopub_port": %d, "stdin_port": %d,
		"control_port": %d, "hb_port": %d, "key": "k", "signature_scheme": "hmac-sha256", "kernel_name": "peerscope"}`,
		ports[0], ports[1], ports[2], ports[3], ports[4])
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs the test binary with args as a helper part and decodes the
// kernel part's report.
func run(t *testing.T, args ...string) (report, *exec.Cmd) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr.String())
	}
	var r report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v: report %q: %v", args, out, err)
	}
	return r, cmd
}

func TestLauncherHandsTheListeningPortsToTheKernelItBecomes(t *testing.T) {
	ports := freePorts(t)
	file := connectionFile(t, ports)
	r, cmd := run(t, os.Args[0], "kernel", "--connection-file", file)
	if r.PID != cmd.Process.Pid {
		t.Errorf("kernel pid %d, launcher pid %d: not executed in place", r.PID, cmd.Process.Pid)
	}
	if fmt.Sprint(r.Taken) != fmt.Sprint(ports) {
		t.Errorf("sockets handed over for ports %v, want %v", r.Taken, ports)
	}
	if r.EnvLeft != "" {
		t.Errorf("PEERSCOPE_KERNEL_FDS=%s left for the kernel's subprocesses", r.EnvLeft)
	}
}

func TestKernelWithoutLauncherBindsDuringInit(t *testing.T) {
	ports := freePorts(t)
	r, _ := run(t, "kernel", "--connection-file", connectionFile(t, ports))
	if fmt.Sprint(r.Taken) != fmt.Sprint(ports) {
		t.Errorf("sockets bound during init for ports %v, want %v", r.Taken, ports)
	}
}

func TestLauncherStartsTheKernelWhenAPortIsBusy(t *testing.T) {
	ports := freePorts(t)
	busy, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", ports[2]))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	r, _ := run(t, os.Args[0], "kernel", "--connection-file", connectionFile(t, ports))
	if len(r.Taken) != 0 {
		t.Errorf("sockets handed over for %v with port %d in use; the kernel should bind and report itself", r.Taken, ports[2])
	}
}

func TestLauncherErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "usage"},
		{[]string{"--help"}, 2, "usage"},
		{[]string{"/nonexistent/peerscope", "kernel", "--connection-file", "x"}, 127, "executing /nonexistent/peerscope"},
	} {
		cmd := exec.Command(os.Args[0], c.args...)
		cmd.Env = append(os.Environ(), helperEnv+"=1")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != c.code || !strings.Contains(string(out), c.msg) {
			t.Errorf("%q: %v, %q; want exit %d and %q", c.args, err, out, c.code, c.msg)
		}
	}
}

func TestLauncherLooksUpAProgramNameInPath(t *testing.T) {
	t.Setenv("PATH", filepath.Dir(os.Args[0]))
	ports := freePorts(t)
	r, _ := run(t, filepath.Base(os.Args[0]), "kernel", "--connection-file", connectionFile(t, ports))
	if fmt.Sprint(r.Taken) != fmt.Sprint(ports) {
		t.Errorf("sockets handed over for ports %v, want %v", r.Taken, ports)
	}
}
