package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFiguresFromTheVoDSample(t *testing.T) {
	in := filepath.Join("..", "..", "datasets", "pplive-vod.pcapng")
	if _, err := os.Stat(in); err != nil {
		t.Skipf("sample dataset: %v", err)
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"figures", in, "-o", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	// The truth file beside the capture names the channels 1, 2, 3, so the
	// paper's Table 1 rows interleave with the measured ones.
	md, err := os.ReadFile(filepath.Join(out, "table1.md"))
	if err != nil || !strings.Contains(string(md), "| 2 (paper) | 264 (86.8 %) |") {
		t.Errorf("table1.md: %v\n%s", err, md)
	}
	for _, name := range []string{"fig7-role-ratios-ch1", "fig8a-wi-cdf", "fig8b-online-time-cdf", "fig9-sharing-map-ch3", "sharing-profile-ch1"} {
		f, err := os.Open(filepath.Join(out, name+".png"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := png.Decode(f); err != nil {
			t.Errorf("%s.png: %v", name, err)
		}
		f.Close()
	}
	if !strings.Contains(stderr.String(), "rate figures skipped") {
		t.Errorf("a VoD capture should say why the live figures are missing: %s", stderr.String())
	}
}

func TestFiguresUsage(t *testing.T) {
	for _, args := range [][]string{
		{"figures"},
		{"figures", "x.pcapng"},
		{"figures", "x.pcapng", "-o", t.TempDir(), "--format", "gif"},
		{"figures", "x.pcapng", "-o", t.TempDir(), "--width", "0"},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"figures", "does-not-exist.pcapng", "-o", t.TempDir()}, &stdout, &stderr); code != exitInputError {
		t.Errorf("missing input: exit %d, want %d", code, exitInputError)
	}
}
