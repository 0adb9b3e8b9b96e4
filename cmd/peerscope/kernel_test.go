package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPrebindInitialisesBeforeTheHeavyPackages runs this test binary, which
// links what the peerscope binary links, with the runtime's initialisation
// trace, and checks that package prebind binds the kernel's ports before
// the packages whose initialisation makes up most of the start-up.
func TestPrebindInitialisesBeforeTheHeavyPackages(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var trace bytes.Buffer
	cmd.Stderr = &trace
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, trace.String())
	}
	order := map[string]int{}
	sc := bufio.NewScanner(&trace)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 2 && f[0] == "init" {
			order[f[1]] = len(order)
		}
	}
	const prebind = "github.com/peerscope/peerscope/kernel/protocol/prebind"
	at, ok := order[prebind]
	if !ok {
		t.Fatalf("%s not in the initialisation trace", prebind)
	}
	for _, heavy := range []string{
		"github.com/google/gopacket/layers",
		"github.com/traefik/yaegi/stdlib",
		"github.com/apache/arrow/go/v15/arrow/compute",
		"os",
	} {
		if i, ok := order[heavy]; !ok || i < at {
			t.Errorf("%s initialised at step %d (present %v), before prebind (step %d)", heavy, i, ok, at)
		}
	}
}
