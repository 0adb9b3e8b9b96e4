package startup

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// BufferMap is one live buffer map: at time T (seconds) peer From told To
// that it holds chunk Offset+i for every set bit i < Width (LSB first).
type BufferMap struct {
	T        float64
	From, To string
	Offset   int64
	Width    int
	Bitmap   []byte
}

// lastSet returns the index of the last set bit below the width, or −1.
func lastSet(bm []byte, width int) int {
	width = min(width, len(bm)*8)
	for i := (width - 1) >> 3; i >= 0; i-- {
		b := bm[i]
		if i == (width-1)>>3 && width&7 != 0 {
			b &= 1<<(width&7) - 1
		}
		if b != 0 {
			for k := 7; k >= 0; k-- {
				if b&(1<<k) != 0 {
					return i<<3 + k
				}
			}
		}
	}
	return -1
}

func has(bm []byte, width, i int) bool {
	return i >= 0 && i < width && i < len(bm)*8 && bm[i>>3]&(1<<(i&7)) != 0
}

// Scope returns ξ = Offset + index of the last set bit, and false when no
// bit is set.
func (b BufferMap) Scope() (int64, bool) {
	i := lastSet(b.Bitmap, b.Width)
	return b.Offset + int64(i), i >= 0
}

// Playable returns V, the length of the leading run of set bits.
func (b BufferMap) Playable() int {
	n := 0
	for has(b.Bitmap, b.Width, n) {
		n++
	}
	return n
}

// Ones returns U, the number of set bits.
func (b BufferMap) Ones() int {
	n := 0
	for i := 0; i < b.Width && i < len(b.Bitmap)*8; i++ {
		if has(b.Bitmap, b.Width, i) {
			n++
		}
	}
	return n
}

// Holds reports whether the buffer map holds chunk c.
func (b BufferMap) Holds(c int64) bool {
	d := c - b.Offset
	return d >= 0 && d < int64(b.Width) && has(b.Bitmap, b.Width, int(d))
}

// TrackerOffset is a TRACKER_OFFSET_RESP received at T: the seeder holds
// Min (TkOffMin) … Max (TkOffMax).
type TrackerOffset struct {
	T        float64
	Min, Max int64
}

// ChunkRequest is a CHUNK_REQ the host sent at T for chunk Chunk.
type ChunkRequest struct {
	T     float64
	To    string
	Chunk int64
}

// Trace is everything one host's capture says about its start-up, times in
// seconds on the capture's clock (any order; Analyze sorts copies).
type Trace struct {
	Host     string  // "ip:port" that sent TRACKER_REGISTER
	Register float64 // time of that TRACKER_REGISTER
	// TrackerAnswers are times of tracker peer-list responses to the host.
	TrackerAnswers []float64
	Offsets        []TrackerOffset // TRACKER_OFFSET_RESPs to the host
	Received       []BufferMap     // buffer maps sent to the host
	Sent           []BufferMap     // buffer maps the host sent
	Requests       []ChunkRequest  // chunk requests the host sent
}

// Options tune Analyze.
type Options struct {
	// K sets the availability window: a neighbour holds chunks "around θ"
	// when its buffer map holds any of θ…θ+K (reconstruction; default 10,
	// about 1 s of video at 10 chunks/s).
	K int
	// Rate is the playback rate r (chunks/s) for the start-up model; 0 lets
	// Analyze estimate it from the host's own offsets after they move.
	Rate float64
	// SwitchGap is g in the TB switch rule W_scope − V > g·V (default 0.5).
	SwitchGap float64
}

func (o Options) withDefaults() Options {
	if o.K == 0 {
		o.K = 10
	}
	if o.SwitchGap == 0 {
		o.SwitchGap = 0.5
	}
	return o
}

// Host is the start-up reading of one host. Times are seconds since its
// registration. A quantity whose event never happened in the capture has its
// Has… flag false and a zero value, never NaN.
type Host struct {
	Host     string
	Register float64 // registration time on the capture's clock

	TTk, TP, TChk, TAd         float64
	HasTk, HasP, HasChk, HasAd bool

	Theta          int64  // initial offset: chunk of the first CHUNK_REQ (HasChk)
	FirstNeighbour string // sender of the first buffer map received (HasP)
	Fp, Xip        int64  // its offset and scope
	WpScope        int64  // ξ_p − f_p
	WpWidth        int    // its advertised width field

	TkOffMin, TkOffMax int64 // last TRACKER_OFFSET_RESP before T_chk (HasTracker)
	HasTracker         bool
	Lp                 int64 // s − f_p with s = TkOffMax (HasTracker && HasP)

	// α's, valid when HasAlpha (a request, a first neighbour with a set bit,
	// and a tracker answer); AlphaWWidth uses the width field.
	AlphaW, AlphaWWidth, AlphaL float64
	HasAlpha                    bool

	// Availability before the first request.
	Senders    int // distinct senders of buffer maps received before T_chk
	Neighbours int // of which held any chunk θ…θ+K

	Model Model // start-up model and TB reading, from the host's own BMs
}

// ErrNoRegistration is returned for a trace without a registration time.
var ErrNoRegistration = errors.New("startup: host never sent TRACKER_REGISTER")

// Analyze reads one host's start-up from its trace. Missing events are
// reported through the Has… flags, not as errors; it fails only when the
// trace has no usable registration time.
func Analyze(tr Trace, opt Options) (Host, error) {
	opt = opt.withDefaults()
	if math.IsNaN(tr.Register) || math.IsInf(tr.Register, 0) {
		return Host{}, fmt.Errorf("startup: host %s: %w", tr.Host, ErrNoRegistration)
	}
	h := Host{Host: tr.Host, Register: tr.Register}
	t0 := tr.Register
	after := func(t float64) bool { return t >= t0 }

	for _, t := range tr.TrackerAnswers {
		if after(t) && (!h.HasTk || t-t0 < h.TTk) {
			h.TTk, h.HasTk = t-t0, true
		}
	}
	for _, o := range tr.Offsets {
		if after(o.T) && (!h.HasTk || o.T-t0 < h.TTk) {
			h.TTk, h.HasTk = o.T-t0, true
		}
	}
	reqs := sortedBy(tr.Requests, func(r ChunkRequest) float64 { return r.T })
	for _, r := range reqs {
		if after(r.T) {
			h.TChk, h.HasChk, h.Theta = r.T-t0, true, r.Chunk
			break
		}
	}
	recv := sortedBy(tr.Received, func(b BufferMap) float64 { return b.T })
	var first BufferMap
	for _, b := range recv {
		if after(b.T) {
			first = b
			h.TP, h.HasP, h.FirstNeighbour = b.T-t0, true, b.From
			h.Fp = b.Offset
			h.WpWidth = b.Width
			if xi, ok := b.Scope(); ok {
				h.Xip = xi
				h.WpScope = xi - b.Offset
			} else {
				h.Xip = b.Offset - 1 // empty buffer: scope just below the offset
			}
			break
		}
	}
	sent := sortedBy(tr.Sent, func(b BufferMap) float64 { return b.T })
	for _, b := range sent {
		if after(b.T) {
			h.TAd, h.HasAd = b.T-t0, true
			break
		}
	}
	// tracker state before the first request (or at any time when none)
	offs := sortedBy(tr.Offsets, func(o TrackerOffset) float64 { return o.T })
	for _, o := range offs {
		if h.HasChk && o.T-t0 > h.TChk {
			break
		}
		h.TkOffMin, h.TkOffMax, h.HasTracker = o.Min, o.Max, true
	}
	if h.HasTracker && h.HasP {
		h.Lp = h.TkOffMax - h.Fp
	}
	if h.HasChk && h.HasP && h.HasTracker && h.WpScope > 0 && h.Lp > 0 && first.Width > 0 {
		d := float64(h.Theta - h.Fp)
		h.AlphaW = d / float64(h.WpScope)
		h.AlphaWWidth = d / float64(h.WpWidth)
		h.AlphaL = d / float64(h.Lp)
		h.HasAlpha = true
	}
	if h.HasChk {
		senders := map[string]bool{}
		holders := map[string]bool{}
		for _, b := range recv {
			if !after(b.T) || b.T-t0 >= h.TChk {
				continue
			}
			senders[b.From] = true
			if holders[b.From] {
				continue
			}
			for c := h.Theta; c <= h.Theta+int64(opt.K); c++ {
				if b.Holds(c) {
					holders[b.From] = true
					break
				}
			}
		}
		h.Senders, h.Neighbours = len(senders), len(holders)
	}
	h.Model = model(h, sent, offs, opt)
	return h, nil
}

// sortedBy returns a copy of xs stably sorted by key.
func sortedBy[T any](xs []T, key func(T) float64) []T {
	s := slices.Clone(xs)
	slices.SortStableFunc(s, func(a, b T) int {
		ka, kb := key(a), key(b)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return s
}
