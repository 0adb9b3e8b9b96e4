package sim

import (
	"fmt"
	"os"
	"path/filepath"
)

// Output says where and how a capture is written: Dir/Name.<format> plus
// Dir/Name.truth.json beside it.
type Output struct {
	Dir    string
	Name   string
	Format Format
}

func (o Output) paths() (capture, truth string, err error) {
	if o.Name == "" {
		return "", "", fmt.Errorf("output: empty capture name")
	}
	f := o.Format
	if f == "" {
		f = PcapNG
	}
	if f != PcapNG && f != Pcap {
		return "", "", fmt.Errorf("output: unknown capture format %q (want pcapng or pcap)", f)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return "", "", fmt.Errorf("output directory: %w", err)
	}
	return filepath.Join(o.Dir, o.Name+"."+string(f)), filepath.Join(o.Dir, o.Name+".truth.json"), nil
}

// render writes a capture through a Renderer atomically and then its truth
// file; run drives the model into the renderer and returns the truth and its
// header for the packet count.
func render(o Output, run func(Sink) (truth any, hdr *TruthHeader, err error)) (packets int64, err error) {
	cpath, tpath, err := o.paths()
	if err != nil {
		return 0, err
	}
	var truth any
	var hdr *TruthHeader
	err = writeAtomic(cpath, func(f *os.File) error {
		r, err := NewRenderer(f, o.Format)
		if err != nil {
			return err
		}
		if truth, hdr, err = run(r); err != nil {
			return err
		}
		// Flush writes out packets the model left pending (TCP FINs,
		// segments queued behind a later timestamp): count after it.
		if err := r.Flush(); err != nil {
			return err
		}
		packets = r.Packets
		return nil
	})
	if err != nil {
		return 0, err
	}
	hdr.Capture = filepath.Base(cpath)
	hdr.Packets = packets
	return packets, WriteJSON(tpath, truth)
}

// hasHeader is a model's ground truth: every truth type embeds TruthHeader.
type hasHeader interface{ header() *TruthHeader }

// header is promoted to every truth type that embeds TruthHeader.
func (h *TruthHeader) header() *TruthHeader { return h }

// renderRun renders the messages of a model's run into o (see render) and
// returns the truth the run produced.
func renderRun[T hasHeader](o Output, run func(Sink) (T, error)) (T, error) {
	var t T
	_, err := render(o, func(s Sink) (any, *TruthHeader, error) {
		var err error
		if t, err = run(s); err != nil {
			return nil, nil, err
		}
		return t, t.header(), nil
	})
	return t, err
}

// WriteLive generates the live (ppl or pps) crawler capture of cfg into o.
func WriteLive(cfg LiveConfig, o Output) (*LiveTruth, error) {
	m, err := NewLive(cfg)
	if err != nil {
		return nil, err
	}
	return renderRun(o, m.Run)
}

// WriteStartup generates the start-up experiments' capture of cfg into o.
func WriteStartup(cfg StartupConfig, o Output) (*StartupTruth, error) {
	m, err := NewStartup(cfg)
	if err != nil {
		return nil, err
	}
	return renderRun(o, m.Run)
}

// WriteVoD generates the VoD crawl capture of cfg into o.
func WriteVoD(cfg VoDConfig, o Output) (*VoDTruth, error) {
	m, err := NewVoD(cfg)
	if err != nil {
		return nil, err
	}
	return renderRun(o, m.Run)
}
