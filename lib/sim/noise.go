package sim

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// NoiseConfig adds traffic a real sniffer also records: UUSee-like
// encrypted datagrams (system uus, classified by signature only) and
// unrelated background traffic (DNS lookups, small HTTP fetches). Each kind
// arrives as a Poisson process with the given rate per second, between one
// of the capture's observers and a synthetic remote party.
type NoiseConfig struct {
	UUSRate  float64 `json:"uus_per_s"`
	DNSRate  float64 `json:"dns_per_s"`
	HTTPRate float64 `json:"http_per_s"`
}

func (n *NoiseConfig) validate(name string) error {
	for _, f := range []struct {
		n string
		v float64
	}{{"uus_per_s", n.UUSRate}, {"dns_per_s", n.DNSRate}, {"http_per_s", n.HTTPRate}} {
		if !(f.v >= 0) || f.v > 1e6 {
			return fmt.Errorf("%s.%s: a rate must be in [0, 1e6] per second, got %g", name, f.n, f.v)
		}
	}
	return nil
}

// Event kinds of the noise component (shared by every model's queue).
const (
	evNoiseUUS uint8 = 200 + iota
	evNoiseDNS
	evNoiseDNSReply
	evNoiseHTTP
	evNoiseHTTPReply
	evNoiseHTTPClose
)

// uusSignatures are the spec's UUSee-like prefixes.
var uusSignatures = [][4]byte{{0xe9, 0x03, 0x44, 0x01}, {0x09, 0x09, 0x08, 0x01}, {0x14, 0x05, 0x07, 0x18}}

// dnsNames are the synthetic names the observers look up (reserved
// example domains, RFC 2606).
var dnsNames = []string{"tracker.example.net", "www.example.com", "cdn.example.org", "update.example.net", "ads.example.com"}

// noise is the background-traffic component of a model.
type noise struct {
	cfg       NoiseConfig
	r         *rand.Rand
	observers []Endpoint // the local side of noise exchanges
	end       int64
	dnsID     uint16
	nextPort  uint16
	pending   []noiseExchange // per exchange id (event field a)
	buf       []byte
	counts    NoiseTruth
}

type noiseExchange struct {
	local, remote Endpoint
	name          int
}

// NoiseTruth counts the noise exchanges a capture holds.
type NoiseTruth struct {
	UUS  int `json:"uus_datagrams"`
	DNS  int `json:"dns_lookups"`
	HTTP int `json:"http_fetches"`
}

func newNoise(cfg NoiseConfig, seed uint64, observers []Endpoint, end int64) *noise {
	return &noise{cfg: cfg, r: newStream(seed, kindNoise, 0), observers: observers, end: end, nextPort: 40000}
}

func (n *noise) start(q *eventQueue) {
	n.next(q, 0, evNoiseUUS, n.cfg.UUSRate)
	n.next(q, 0, evNoiseDNS, n.cfg.DNSRate)
	n.next(q, 0, evNoiseHTTP, n.cfg.HTTPRate)
}

func (n *noise) next(q *eventQueue, t int64, kind uint8, rate float64) {
	if rate <= 0 || len(n.observers) == 0 {
		return
	}
	t += sec(n.r.ExpFloat64() / rate)
	if t < n.end {
		q.push(t, kind, 0, 0)
	}
}

func (n *noise) ephemeral() uint16 {
	n.nextPort++
	if n.nextPort < 40000 {
		n.nextPort = 40000
	}
	return n.nextPort
}

// fire handles a noise event; it reports false for kinds it does not own.
func (n *noise) fire(ev event, q *eventQueue, em *emitter) (bool, error) {
	t := ev.t
	switch ev.kind {
	case evNoiseUUS:
		n.next(q, t, evNoiseUUS, n.cfg.UUSRate)
		local := n.observers[n.r.IntN(len(n.observers))]
		remote := Endpoint{IP: [4]byte{10, 200 + byte(n.r.IntN(8)), byte(n.r.IntN(256)), byte(1 + n.r.IntN(254))}, Port: uint16(10000 + n.r.IntN(50000))}
		sig := uusSignatures[n.r.IntN(len(uusSignatures))]
		size := 20 + n.r.IntN(400)
		n.buf = append(n.buf[:0], sig[:]...)
		for len(n.buf) < size {
			n.buf = binary.LittleEndian.AppendUint64(n.buf, n.r.Uint64())
		}
		n.buf = n.buf[:size]
		n.counts.UUS++
		src, dst := remote, local
		if n.r.IntN(2) == 0 {
			src, dst = local, remote
		}
		return true, em.send(t, src, dst, UDP, n.buf)
	case evNoiseDNS:
		n.next(q, t, evNoiseDNS, n.cfg.DNSRate)
		x := noiseExchange{local: n.observers[n.r.IntN(len(n.observers))], remote: Endpoint{IP: dnsServerIP, Port: portDNS}, name: n.r.IntN(len(dnsNames))}
		x.local.Port = n.ephemeral()
		n.pending = append(n.pending, x)
		n.dnsID++
		n.buf = appendDNS(n.buf[:0], n.dnsID, dnsNames[x.name], nil)
		q.push(t+sec(0.005+0.03*n.r.Float64()), evNoiseDNSReply, int32(len(n.pending)-1), int32(n.dnsID))
		n.counts.DNS++
		return true, em.send(t, x.local, x.remote, UDP, n.buf)
	case evNoiseDNSReply:
		x := n.pending[ev.a]
		ip := [4]byte{203, 0, 113, byte(100 + x.name)}
		n.buf = appendDNS(n.buf[:0], uint16(ev.b), dnsNames[x.name], ip[:])
		return true, em.send(t, x.remote, x.local, UDP, n.buf)
	case evNoiseHTTP:
		n.next(q, t, evNoiseHTTP, n.cfg.HTTPRate)
		x := noiseExchange{local: n.observers[n.r.IntN(len(n.observers))], remote: Endpoint{IP: webServerIP, Port: portHTTP}, name: n.r.IntN(len(dnsNames))}
		x.local.Port = n.ephemeral()
		n.pending = append(n.pending, x)
		id := int32(len(n.pending) - 1)
		if err := em.send(t, x.local, x.remote, TCPOpen, nil); err != nil {
			return true, err
		}
		n.buf = append(n.buf[:0], "GET /index.html HTTP/1.1\r\nHost: "...)
		n.buf = append(n.buf, dnsNames[x.name]...)
		n.buf = append(n.buf, "\r\nUser-Agent: peerscope-sim\r\nAccept: */*\r\n\r\n"...)
		q.push(t+sec(0.02+0.1*n.r.Float64()), evNoiseHTTPReply, id, int32(200+n.r.IntN(2800)))
		n.counts.HTTP++
		return true, em.send(t, x.local, x.remote, TCP, n.buf)
	case evNoiseHTTPReply:
		x := n.pending[ev.a]
		body := int(ev.b)
		n.buf = append(n.buf[:0], "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "...)
		n.buf = strconv.AppendInt(n.buf, int64(body), 10)
		n.buf = append(n.buf, "\r\n\r\n"...)
		for range body {
			n.buf = append(n.buf, 'a'+byte(n.r.IntN(26)))
		}
		q.push(t+sec(0.01), evNoiseHTTPClose, ev.a, 0)
		return true, em.send(t, x.remote, x.local, TCP, n.buf)
	case evNoiseHTTPClose:
		x := n.pending[ev.a]
		return true, em.send(t, x.local, x.remote, TCPClose, nil)
	}
	return false, nil
}

// appendDNS writes a DNS query for name (answer == nil) or its response
// with one A record (RFC 1035 layout; the answer names the question by a
// compression pointer to offset 12).
func appendDNS(dst []byte, id uint16, name string, answer []byte) []byte {
	flags := uint16(0x0100) // RD
	an := uint16(0)
	if answer != nil {
		flags, an = 0x8180, 1 // QR, RD, RA
	}
	dst = binary.BigEndian.AppendUint16(dst, id)
	dst = binary.BigEndian.AppendUint16(dst, flags)
	dst = binary.BigEndian.AppendUint16(dst, 1)
	dst = binary.BigEndian.AppendUint16(dst, an)
	dst = append(dst, 0, 0, 0, 0)
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			dst = append(dst, byte(i-start))
			dst = append(dst, name[start:i]...)
			start = i + 1
		}
	}
	dst = append(dst, 0, 0, 1, 0, 1) // root, QTYPE A, QCLASS IN
	if answer != nil {
		dst = append(dst, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4)
		dst = append(dst, answer...)
	}
	return dst
}
