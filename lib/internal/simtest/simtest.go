// Package simtest is test support for the estimators' end-to-end tests: it
// generates a lib/sim capture (synthetic) into t.TempDir(), decodes it with
// lib/dataset — the pipeline `peerscope gen` and `peerscope analyze` run —
// and hands the test the dataset and its tables, each released when the
// test ends. Any failure ends the test with t.Fatal.
//
// It is internal so that the kernel's symbol tables, which cover lib/'s
// public packages, do not carry test helpers.
package simtest

import (
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/sim"
)

// Live generates the live capture of cfg (written as live.pcapng beside its
// truth file) and loads it.
func Live(t testing.TB, cfg sim.LiveConfig) (*sim.LiveTruth, *dataset.Dataset) {
	t.Helper()
	dir := t.TempDir()
	truth, err := sim.WriteLive(cfg, sim.Output{Dir: dir, Name: "live"})
	if err != nil {
		t.Fatal(err)
	}
	return truth, load(t, dir, truth.Capture)
}

// Startup generates the start-up experiments' capture of cfg and loads it.
func Startup(t testing.TB, cfg sim.StartupConfig) (*sim.StartupTruth, *dataset.Dataset) {
	t.Helper()
	dir := t.TempDir()
	truth, err := sim.WriteStartup(cfg, sim.Output{Dir: dir, Name: "startup"})
	if err != nil {
		t.Fatal(err)
	}
	return truth, load(t, dir, truth.Capture)
}

// VoD generates the VoD crawl capture of cfg and loads it.
func VoD(t testing.TB, cfg sim.VoDConfig) (*sim.VoDTruth, *dataset.Dataset) {
	t.Helper()
	dir := t.TempDir()
	truth, err := sim.WriteVoD(cfg, sim.Output{Dir: dir, Name: "vod"})
	if err != nil {
		t.Fatal(err)
	}
	return truth, load(t, dir, truth.Capture)
}

// load decodes the capture named capture in dir; a capture that ends in a
// fault fails the test, since the generator writes whole captures.
func load(t testing.TB, dir, capture string) *dataset.Dataset {
	t.Helper()
	ds, err := dataset.Load(filepath.Join(dir, capture))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ds.Release)
	return ds
}

// Table returns the table name of ds, released when the test ends (before
// ds itself, which was loaded earlier).
func Table(t testing.TB, ds *dataset.Dataset, name string) arrow.Table {
	t.Helper()
	tb, err := ds.Table(name)
	if err != nil {
		t.Fatalf("table %s: %v", name, err)
	}
	t.Cleanup(tb.Release)
	return tb
}
