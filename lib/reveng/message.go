// Package reveng is peerscope's protocol-cracking workbench: it takes raw
// payloads of a protocol nobody documented, groups them into message types,
// guesses their fields from statistics over time, senders and lengths, and
// expresses the guesses as declarative formats that compile into decoders
// and can be confirmed against every message of a capture.
//
// The loop follows the paper's protocol crack (Section II.B of
// shared/paper/reverse-engineering-p2p-streaming.md): sniff, group the
// messages, observe each type along time, channel and peer, guess the
// fields, confirm the guess. The statistics used for each guess are in the
// doc comments of the detectors (fields.go); the thresholds are our own
// choices, tuned on synthetic traffic, and are reported as evidence with
// every candidate so that a human can overrule them.
package reveng

import "net/netip"

// Transport is the transport protocol a message travelled on.
type Transport uint8

// The transports.
const (
	UDP Transport = iota + 1
	TCP
)

// String returns "udp", "tcp" or "".
func (t Transport) String() string {
	switch t {
	case UDP:
		return "udp"
	case TCP:
		return "tcp"
	}
	return ""
}

// Message is one raw application message of an unknown protocol: a UDP
// payload or one TCP frame, with the time it was seen and its endpoints.
// Payload is owned by the Message (adapters copy it).
type Message struct {
	Payload   []byte
	TimeNs    int64 // capture time, unix nanoseconds
	Src, Dst  netip.AddrPort
	Transport Transport
	Packet    int64 // 1-based packet number in the capture, 0 when unknown
}
