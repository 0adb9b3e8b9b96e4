package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

func TestGenWritesCaptureAndTruth(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"gen", "live", "-o", dir, "--duration", "10m", "--peers", "20", "--seed", "5", "--flash-crowd", "100,120,4", "--coverage", "0.8"},
		{"gen", "pps", "-o", dir, "--duration", "300", "--peers", "20", "--format", "pcap"},
		{"gen", "startup", "-o", dir, "--hosts", "4", "--duration", "60s", "--rule", "pp-lag", "--good-peer", "0.9"},
		{"gen", "vod", "-o", dir, "--duration", "15m", "--peers", "60"},
	} {
		code, out, errs := runCmd(args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		if !strings.HasPrefix(out, "wrote ") {
			t.Fatalf("%v: stdout %q", args, out)
		}
	}
	for _, f := range []string{"pplive-live.pcapng", "pps-live.pcap", "pplive-startup.pcapng", "pplive-vod.pcapng"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
		truth := strings.TrimSuffix(strings.TrimSuffix(f, ".pcapng"), ".pcap") + ".truth.json"
		b, err := os.ReadFile(filepath.Join(dir, truth))
		if err != nil {
			t.Fatal(err)
		}
		var hdr struct {
			Synthetic bool   `json:"synthetic"`
			Capture   string `json:"capture"`
			Packets   int64  `json:"packets"`
		}
		if err := json.Unmarshal(b, &hdr); err != nil || !hdr.Synthetic || hdr.Capture != f || hdr.Packets == 0 {
			t.Fatalf("%s: %+v %v", truth, hdr, err)
		}
	}
	var startup struct {
		Config struct {
			Placement struct {
				Rule     string `json:"rule"`
				GoodPeer *struct {
					MinFill float64 `json:"min_fill"`
				} `json:"good_peer"`
			} `json:"placement"`
		} `json:"config"`
		Hosts []json.RawMessage `json:"hosts"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "pplive-startup.truth.json"))
	if err := json.Unmarshal(b, &startup); err != nil {
		t.Fatal(err)
	}
	if startup.Config.Placement.Rule != "pp-lag" || startup.Config.Placement.GoodPeer == nil || startup.Config.Placement.GoodPeer.MinFill != 0.9 || len(startup.Hosts) != 4 {
		t.Fatalf("flags not applied: %+v, %d hosts", startup.Config.Placement, len(startup.Hosts))
	}
}

func TestGenSameSeedSameBytes(t *testing.T) {
	var got [2][]byte
	for i := range got {
		dir := t.TempDir()
		if code, _, errs := runCmd("gen", "startup", "-o", dir, "--hosts", "3", "--seed", "9"); code != exitOK {
			t.Fatal(errs)
		}
		c, _ := os.ReadFile(filepath.Join(dir, "pplive-startup.pcapng"))
		j, _ := os.ReadFile(filepath.Join(dir, "pplive-startup.truth.json"))
		got[i] = append(c, j...)
	}
	if len(got[0]) == 0 || !bytes.Equal(got[0], got[1]) {
		t.Fatal("same seed, different bytes")
	}
}

func TestGenErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"rates":[{"at_s":0,"rate":-10}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	alpha := filepath.Join(dir, "alpha.json")
	if err := os.WriteFile(alpha, []byte(`{"placement":{"rule":"pp-width","alpha":{"kind":"normal","a":0.34,"b":0.05,"bounded":false}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, []byte(`{"rates":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"gen"}, "name the generator"},
		{[]string{"gen", "movie", "-o", dir}, "unknown generator"},
		{[]string{"gen", "live"}, "-o DIR is required"},
		{[]string{"gen", "live", "-o", dir, "--preset", "pplive-tv"}, `unknown live preset "pplive-tv"`},
		{[]string{"gen", "pps", "-o", dir, "--preset", "pplive-live"}, "not pps"},
		{[]string{"gen", "live", "-o", dir, "--config", bad}, "rate must be positive"},
		{[]string{"gen", "live", "-o", dir, "--config", empty}, "empty rate schedule"},
		{[]string{"gen", "startup", "-o", dir, "--config", alpha}, "α must lie in [0, 1]"},
		{[]string{"gen", "startup", "-o", dir, "--rule", "middle"}, "want pp-width, pp-lag or fixed"},
		{[]string{"gen", "live", "-o", dir, "--coverage", "1.5"}, "coverage: a probability must be in [0, 1]"},
		{[]string{"gen", "live", "-o", dir, "--duration", "-3"}, "--duration"},
		{[]string{"gen", "live", "-o", dir, "--format", "erf"}, "unknown capture format"},
		{[]string{"gen", "vod", "-o", dir, "--hosts", "3"}, "do not apply to vod"},
		{[]string{"gen", "live", "-o", dir, "--flash-crowd", "100,50"}, "want AT,DURATION,FACTOR"},
		{[]string{"gen", "live", "-o", dir, "--duration", "600", "--flash-crowd", "500,300,4"}, "inside the capture"},
	} {
		code, _, errs := runCmd(c.args...)
		if code == exitOK || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error containing %q", c.args, code, errs, c.want)
		}
	}
}

func TestGenPrintConfig(t *testing.T) {
	code, out, errs := runCmd("gen", "vod", "--print-config", "--seed", "4")
	if code != exitOK {
		t.Fatal(errs)
	}
	var c struct {
		Seed     uint64 `json:"seed"`
		Channels []struct {
			Name string `json:"name"`
		} `json:"channels"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Seed != 4 || len(c.Channels) != 3 {
		t.Fatalf("%v %+v", err, c)
	}
}
