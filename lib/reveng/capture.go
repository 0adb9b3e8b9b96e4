package reveng

import (
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/wire"
)

// FromFrame converts a good capture frame into a Message, copying the
// payload (a capture.Frame's payload is only valid until the next frame).
func FromFrame(f *capture.Frame) Message {
	return Message{
		Payload:   append([]byte(nil), f.Payload...),
		TimeNs:    f.TimeNs,
		Src:       netip.AddrPortFrom(f.SrcIP, f.SrcPort),
		Dst:       netip.AddrPortFrom(f.DstIP, f.DstPort),
		Transport: fromCaptureTransport(f.Transport),
		Packet:    f.Packet,
	}
}

func fromCaptureTransport(t capture.Transport) Transport {
	switch t {
	case capture.UDP:
		return UDP
	case capture.TCP:
		return TCP
	}
	return 0
}

// UnknownTo returns a filter that keeps the payloads lib/wire does not
// recognise once the given systems are switched off: with
// UnknownTo(wire.SystemPPL) the ppl frames are studied as if peerscope had
// never seen the protocol, while pps and uus frames (still recognised) are
// left out. With no systems, only payloads no decoder knows are kept.
func UnknownTo(disabled ...wire.System) func(payload []byte) bool {
	var d wire.Decoder
	for _, s := range disabled {
		d.Disable(s)
	}
	return func(p []byte) bool {
		_ = d.DecodeFromBytes(p)
		return d.System == wire.SystemUnknown
	}
}

// ReadStats counts what ReadCapture kept and skipped.
type ReadStats struct {
	Frames   int64 `json:"frames"`       // good frames read
	Kept     int64 `json:"kept"`         // frames passed to the analysis
	Known    int64 `json:"known"`        // good frames a decoder recognised (filtered out)
	Faulty   int64 `json:"faulty"`       // malformed packets and TCP framing faults (skipped)
	NoTransp int64 `json:"no_transport"` // frames without UDP/TCP (skipped)
}

// slab packs copied payloads into large blocks so that a million messages
// cost a few allocations, not a million.
type slab struct{ block []byte }

func (s *slab) copy(p []byte) []byte {
	if len(p) > cap(s.block)-len(s.block) {
		s.block = make([]byte, 0, max(4<<20, len(p)))
	}
	start := len(s.block)
	s.block = append(s.block, p...)
	return s.block[start:len(s.block):len(s.block)]
}

// ReadFrames reads every good frame of r that keep accepts (nil keeps all)
// and port selects (0: any port) into Messages. A truncated or corrupt
// capture returns the messages read before the fault with the
// *capture.Error.
func ReadFrames(r *capture.Reader, keep func([]byte) bool, port int) ([]Message, ReadStats, error) {
	var msgs []Message
	var st ReadStats
	var sl slab
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return msgs, st, nil
		}
		if err != nil {
			return msgs, st, fmt.Errorf("reveng: reading frames: %w", err)
		}
		if f.Err != nil {
			st.Faulty++
			continue
		}
		t := fromCaptureTransport(f.Transport)
		if t == 0 {
			st.NoTransp++
			continue
		}
		st.Frames++
		if port > 0 && int(f.SrcPort) != port && int(f.DstPort) != port {
			continue
		}
		if keep != nil && !keep(f.Payload) {
			st.Known++
			continue
		}
		st.Kept++
		msgs = append(msgs, Message{
			Payload:   sl.copy(f.Payload),
			TimeNs:    f.TimeNs,
			Src:       netip.AddrPortFrom(f.SrcIP, f.SrcPort),
			Dst:       netip.AddrPortFrom(f.DstIP, f.DstPort),
			Transport: t,
			Packet:    f.Packet,
		})
	}
}
