package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/peerscope/peerscope/kernel"
)

func init() {
	register(command{
		name:    "kernel",
		summary: "run the Jupyter kernel (--connection-file F) or install its kernelspec (install)",
		run:     runKernel,
	})
}

func runKernel(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "install" {
		return runKernelInstall(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("kernel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := fs.String("connection-file", "", "Jupyter connection file (written by the front end)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: peerscope kernel --connection-file FILE")
		fmt.Fprintln(stderr, "       peerscope kernel install [--user|--sys-prefix|--prefix DIR] [--name NAME] [--display-name TEXT]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *conn == "" && fs.NArg() == 1 {
		*conn = fs.Arg(0)
	}
	if *conn == "" || fs.NArg() > 1 {
		fs.Usage()
		return exitUsage
	}
	if err := kernel.Run(*conn, kernel.Options{CaptureFDs: true}); err != nil {
		fmt.Fprintln(stderr, "peerscope kernel:", err)
		return exitInputError
	}
	return exitOK
}

func runKernelInstall(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kernel install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.Bool("user", false, "install for the current user (Jupyter data dir; the default)")
	sysPrefix := fs.Bool("sys-prefix", false, "install into the active Python environment's prefix (VIRTUAL_ENV, CONDA_PREFIX, else /usr)")
	prefix := fs.String("prefix", "", "install into DIR/share/jupyter/kernels")
	name := fs.String("name", "peerscope", "kernelspec name")
	display := fs.String("display-name", "Go (peerscope)", "name shown by front ends")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	modes := 0
	mode := "user"
	if *user {
		modes++
	}
	if *sysPrefix {
		modes++
		mode = "sys-prefix"
	}
	if *prefix != "" {
		modes++
		mode = "prefix"
	}
	if modes > 1 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "peerscope kernel install: give at most one of --user, --sys-prefix, --prefix")
		return exitUsage
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		fmt.Fprintln(stderr, "peerscope kernel install: locating this binary:", err)
		return exitInputError
	}
	launcher := filepath.Join(filepath.Dir(exe), "peerscope-kernel")
	if st, err := os.Stat(launcher); err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		fmt.Fprintf(stderr, "peerscope kernel install: no launcher %s (go build ./cmd/peerscope-kernel): "+
			"the kernel will start without it, and front ends may first reach it 100–200 ms later\n", launcher)
		launcher = ""
	}
	dir := filepath.Join(kernel.KernelsDir(mode, *prefix), *name)
	if err := kernel.Install(dir, kernel.NewSpec(exe, launcher, *display)); err != nil {
		fmt.Fprintln(stderr, "peerscope kernel install:", err)
		return exitInputError
	}
	fmt.Fprintf(stdout, "installed kernelspec %s in %s\n", *name, dir)
	return exitOK
}
