package reveng

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/sim"
	"github.com/peerscope/peerscope/lib/wire"
)

// TestReportOutputs: the report marshals to JSON (no NaN or Inf anywhere),
// its text names every cluster, and a proposed format survives a JSON round
// trip and compiles.
func TestReportOutputs(t *testing.T) {
	msgs := synthSwarm(swarmConfig{seed: 4, peers: 12, seconds: 400, rate: 6, start: 1_000_000, channel: testChannel()})
	rep, err := Infer(msgs, Options{MaxSample: 5000})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("report JSON: %v", err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil || back.Messages != rep.Messages {
		t.Fatalf("report JSON round trip: %v", err)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, g := range rep.Groups {
		for _, cl := range g.Clusters {
			if !strings.Contains(text.String(), "-- "+cl.Name+":") {
				t.Errorf("text lacks cluster %s", cl.Name)
			}
			js, err := MarshalFormat(cl.Format)
			if err != nil {
				t.Fatal(err)
			}
			f, err := UnmarshalFormat(js)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Compile(f); err != nil {
				t.Errorf("%s: proposal does not compile after a JSON round trip: %v", cl.Name, err)
			}
		}
	}
}

func TestInferPortAndEmpty(t *testing.T) {
	msgs := synthSwarm(swarmConfig{seed: 6, peers: 8, seconds: 200, rate: 10, start: 5000, channel: testChannel()})
	rep, err := Infer(msgs, Options{Port: 8008})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 1 || rep.Groups[0].Transport != "tcp" {
		t.Errorf("port 8008 keeps the TCP chunk responses only: %d groups", len(rep.Groups))
	}
	if _, err := Infer(msgs, Options{Port: 1}); err == nil {
		t.Error("no messages on port 1, yet no error")
	}
	if _, err := Infer(nil, Options{}); err == nil {
		t.Error("no messages, yet no error")
	}
}

// TestReadFrames reads a lib/sim pps capture through lib/capture: with no
// decoder disabled every pps frame is known and left out; with pps
// disabled they are kept, and FromFrame agrees with ReadFrames.
func TestReadFrames(t *testing.T) {
	cfg, err := sim.LivePreset(sim.PresetPPSLive, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration, cfg.Population.Mean = 300, 20
	dir := t.TempDir()
	if _, err := sim.WriteLive(cfg, sim.Output{Dir: dir, Name: "pps"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pps.pcapng")
	read := func(keep func([]byte) bool, port int) ([]Message, ReadStats) {
		r, err := capture.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		msgs, st, err := ReadFrames(r, keep, port)
		if err != nil {
			t.Fatal(err)
		}
		return msgs, st
	}
	all, stAll := read(nil, 0)
	_, stKnown := read(UnknownTo(), 17788)
	pps, stPPS := read(UnknownTo(wire.SystemPPS), 17788)
	if stAll.Kept != stAll.Frames || stKnown.Kept != 0 || stKnown.Known == 0 {
		t.Errorf("filters: all %+v, known %+v", stAll, stKnown)
	}
	// uus noise on the port stays known; the pps frames move to kept.
	if stPPS.Kept+stPPS.Known != stKnown.Known || stPPS.Kept < stKnown.Known*3/4 || len(pps) != int(stPPS.Kept) {
		t.Errorf("pps disabled keeps %d (knows %d), pps enabled knew %d", stPPS.Kept, stPPS.Known, stKnown.Known)
	}
	r, _ := capture.Open(path)
	defer r.Close()
	f, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	m := FromFrame(f)
	if !bytes.Equal(m.Payload, all[0].Payload) || m.Src != all[0].Src || m.TimeNs != all[0].TimeNs || m.Packet != all[0].Packet {
		t.Errorf("FromFrame %+v, ReadFrames %+v", m, all[0])
	}
	if m.Src != netip.AddrPortFrom(f.SrcIP, f.SrcPort) {
		t.Errorf("source %s", m.Src)
	}
}

func ExampleInfer() {
	msgs := synthSwarm(swarmConfig{seed: 3, peers: 10, seconds: 300, rate: 10, start: 4_150_000, channel: testChannel()})
	rep, err := Infer(msgs, Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	g := rep.Groups[0]
	fmt.Printf("type field: %s at %d, %d types\n", g.TypeField.Type, g.TypeField.Offset, g.TypeField.Values)
	for _, cl := range g.Clusters {
		if cl.TypeValue != int64(wire.BufferMap) {
			continue
		}
		for _, f := range cl.Fields {
			if !f.Group {
				fmt.Printf("@%d %s %s %s\n", f.Offset, f.Name, f.Type, f.Role)
			}
		}
	}
	// Output:
	// type field: u16be at 2, 11 types
	// @24 chunk_id u32le chunk_id
	// @28 width u16le width
	// @30 counter_30 u32le counter
	// @34 counter_34 u32le counter
	// @41 const_41 u8 constant
	// @42 bitmap bitmap(width) bitmap
}
