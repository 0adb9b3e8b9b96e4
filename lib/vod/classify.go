package vod

import (
	"errors"
	"fmt"
	"math"

	"github.com/peerscope/peerscope/lib/wire"
)

// Role is a VoD peer's role in one movie.
type Role uint8

const (
	Contributor Role = iota // never downloads: ones never increase
	Watcher                 // downloads: ones increase at least once
	Zpeer                   // advertised an all-zero bitfield after its first
)

func (r Role) String() string {
	switch r {
	case Contributor:
		return "contributor"
	case Watcher:
		return "watcher"
	case Zpeer:
		return "zpeer"
	}
	return fmt.Sprintf("Role(%d)", r)
}

// Mode is a peer's watching mode, read from its last bitfield.
type Mode uint8

const (
	ModeNone Mode = iota // a Zpeer: its holding says nothing of how it watches
	Smoother             // one run of ones
	Jumper               // two or more runs
)

func (m Mode) String() string {
	switch m {
	case ModeNone:
		return "none"
	case Smoother:
		return "smoother"
	case Jumper:
		return "jumper"
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// Bitfield is one VoD bitfield a peer advertised for a movie.
type Bitfield struct {
	T      float64 // seconds
	Offset int64   // chunk ID of bit 0 (normally 0)
	Width  int     // bits (movie length in chunks)
	Bitmap []byte  // LSB first: bit i is bit i%8 of byte i/8
}

// Options tune the classification.
type Options struct {
	// GapTolerance: a run of at most this many clear bits between ones does
	// not break a smoother's run (0: any gap makes a jumper).
	GapTolerance int
	// TraceStart and TraceEnd bound the observation in seconds; a peer first
	// seen within CensorMargin of TraceStart or last seen within CensorMargin
	// of TraceEnd has a censored online time. Both zero: nothing is censored.
	TraceStart, TraceEnd float64
	CensorMargin         float64
	// SightingPeriod is the crawler's revisit period. A peer is seen only at
	// crawls, so it joined on average half a period before its first
	// sighting and left half a period after its last: Online adds one
	// period to Last − First (0 keeps the paper's plain first-to-last span).
	SightingPeriod float64
}

// Peer is the classification of one peer in one movie.
type Peer struct {
	Peer, Channel string // "ip:port" and movie (set by the caller or the table adapter)
	Role          Role
	Mode          Mode
	WI            int     // watching index of the last bitfield (0: none set)
	Ones          int     // ones in the last bitfield
	Bitfields     int     // how many were seen
	First, Last   float64 // first and last time seen, seconds
	Online        float64 // Last − First + Options.SightingPeriod
	Censored      bool    // the online time is cut by a trace end
	Offset        int64   // offset of the last bitfield
	Width         int     // width of the last bitfield
	LastBitmap    []byte  // copy of the last bitfield's bitmap
}

// ErrNoBitfields is returned by Classify for a peer with no bitfield.
var ErrNoBitfields = errors.New("vod: no bitfields")

// Classify applies the rules of the package comment to one peer's bitfields
// for one movie, in time order (equal times keep their given order). It fails
// on no bitfields, times going backwards, a non-finite time, or a bitmap
// shorter than its width. One pass; the last bitmap is copied.
func Classify(bfs []Bitfield, opt Options) (Peer, error) {
	if len(bfs) == 0 {
		return Peer{}, ErrNoBitfields
	}
	p := Peer{First: bfs[0].T, Bitfields: len(bfs)}
	grew, empty := false, true
	prev := -1
	for k, b := range bfs {
		if math.IsNaN(b.T) || math.IsInf(b.T, 0) {
			return Peer{}, fmt.Errorf("vod: bitfield %d: time %v is not finite", k, b.T)
		}
		if k > 0 && b.T < bfs[k-1].T {
			return Peer{}, fmt.Errorf("vod: bitfield %d at t=%v precedes bitfield %d at t=%v", k, b.T, k-1, bfs[k-1].T)
		}
		if b.Width < 0 || len(b.Bitmap)*8 < b.Width {
			return Peer{}, fmt.Errorf("vod: bitfield %d: %d-byte bitmap cannot hold width %d", k, len(b.Bitmap), b.Width)
		}
		n := wire.Ones(b.Bitmap, b.Width)
		if n == 0 && k > 0 {
			p.Role = Zpeer
		}
		empty = empty && n == 0
		if k > 0 && n > prev {
			grew = true
		}
		prev = n
	}
	if empty {
		p.Role = Zpeer
	}
	last := bfs[len(bfs)-1]
	p.Last = last.T
	p.Online = p.Last - p.First + opt.SightingPeriod
	p.Ones = prev
	p.Offset, p.Width = last.Offset, last.Width
	p.LastBitmap = append([]byte(nil), last.Bitmap[:(last.Width+7)/8]...)
	p.WI = wire.WatchingIndex(last.Bitmap, last.Width)
	if p.Role != Zpeer {
		if grew {
			p.Role = Watcher
		}
		switch r := wire.Runs(last.Bitmap, last.Width, opt.GapTolerance); {
		case r == 1:
			p.Mode = Smoother
		case r >= 2:
			p.Mode = Jumper
		}
	}
	if opt.TraceEnd > opt.TraceStart {
		p.Censored = p.First-opt.TraceStart <= opt.CensorMargin || opt.TraceEnd-p.Last <= opt.CensorMargin
	}
	return p, nil
}
