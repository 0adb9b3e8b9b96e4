package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// ManifestName is the file that describes a dataset directory.
const ManifestName = "manifest.json"

// Summary counts what a decode saw: the numbers `peerscope info` prints and
// the manifest keeps.
type Summary struct {
	Packets      int64            `json:"packets"`       // packets read from the capture
	Bytes        int64            `json:"bytes"`         // captured bytes of those packets
	Frames       int64            `json:"frames"`        // rows of the messages table
	FirstNs      int64            `json:"first_ns"`      // unix ns of the first packet (0 when none)
	LastNs       int64            `json:"last_ns"`       // unix ns of the last packet
	First        string           `json:"first"`         // FirstNs as RFC 3339
	Last         string           `json:"last"`          // LastNs as RFC 3339
	Duration     float64          `json:"duration_s"`    // (LastNs − FirstNs) / 1e9
	Systems      map[string]int64 `json:"systems"`       // frames per system ("" = not recognised)
	Types        map[string]int64 `json:"types"`         // frames per "system/TYPE_NAME" (unknown codes as "system/0x7700")
	Errors       map[string]int64 `json:"errors"`        // malformed frames per error class
	Rows         map[string]int64 `json:"rows"`          // rows per table
	CaptureError string           `json:"capture_error"` // the fault that ended reading early, "" if none
}

// ErrorCount is the number of malformed frames, plus one for a capture
// that ended in a fault.
func (s *Summary) ErrorCount() int64 {
	var n int64
	for _, c := range s.Errors {
		n += c
	}
	if s.CaptureError != "" {
		n++
	}
	return n
}

func newSummary() Summary {
	s := Summary{Systems: map[string]int64{}, Types: map[string]int64{}, Errors: map[string]int64{}, Rows: map[string]int64{}}
	for _, t := range TableNames {
		s.Rows[t] = 0
	}
	return s
}

// Manifest is manifest.json: where a dataset came from and what it holds.
type Manifest struct {
	Peerscope string `json:"peerscope"` // version of the peerscope that wrote it
	Format    Format `json:"format"`    // parquet or arrow
	Layout    string `json:"layout"`    // how the tables are laid out on disk
	Source    string `json:"source"`    // the capture it was decoded from
	// Synthetic is true when the capture came from peerscope's generator:
	// a truth.json sat beside it.
	Synthetic bool `json:"synthetic"`
	Summary
}

// Version is the peerscope version recorded in manifests: the main
// module's version when built from a tagged module, else "devel".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// layoutOf describes the file layout of a format.
func layoutOf(f Format) string {
	if f == "" {
		return "" // in memory
	}
	if f == FormatParquet {
		return "<table>/channel=<id>/part-N.parquet"
	}
	return "<table>." + string(f)
}

// TruthFile returns the ground-truth file peerscope's generator wrote
// beside a synthetic capture — NAME.truth.json for NAME.pcap(ng), or
// truth.json in the same directory — or "" when there is none.
func TruthFile(capture string) string {
	for _, p := range []string{
		strings.TrimSuffix(capture, filepath.Ext(capture)) + ".truth.json",
		filepath.Join(filepath.Dir(capture), "truth.json"),
	} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// NewManifest describes a dataset in format f decoded from source.
func NewManifest(source string, f Format, s Summary) Manifest {
	return Manifest{Peerscope: Version(), Format: f, Layout: layoutOf(f), Source: source,
		Synthetic: TruthFile(source) != "", Summary: s}
}

// WriteManifest writes dir/manifest.json atomically.
func WriteManifest(dir string, m Manifest) error {
	return writeAtomic(filepath.Join(dir, ManifestName), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(m)
	})
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return m, fmt.Errorf("dataset: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("dataset: %s: %w", filepath.Join(dir, ManifestName), err)
	}
	if _, ok := ParseFormat(string(m.Format)); !ok {
		return m, fmt.Errorf("dataset: %s: unknown format %q", filepath.Join(dir, ManifestName), m.Format)
	}
	return m, nil
}

// IsDataset reports whether dir holds a dataset written by peerscope.
func IsDataset(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ManifestName))
	return err == nil
}

// PrepareDir makes dir ready to receive a new dataset: it creates it, or,
// when it holds an earlier dataset, removes that dataset's tables and
// manifest (and leftovers of interrupted writes). A directory holding
// anything else is refused rather than mixed into.
func PrepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if !IsDataset(dir) {
		return fmt.Errorf("dataset: %s is not empty and holds no %s: refusing to write a dataset into it", dir, ManifestName)
	}
	ours := map[string]bool{ManifestName: true}
	for _, t := range TableNames {
		ours[t] = true
		for _, f := range []Format{FormatArrow, FormatCSV, FormatJSONL} {
			ours[t+"."+string(f)] = true
		}
	}
	// The manifest goes first: a dataset without one is never loaded as complete.
	if err := os.Remove(filepath.Join(dir, ManifestName)); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	for _, e := range entries {
		if ours[e.Name()] || isTempName(e.Name()) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("dataset: %w", err)
			}
		}
	}
	return nil
}
