package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/google/gopacket/layers"
)

// Link types this package decodes (LINKTYPE_ values, tcpdump.org/linktypes).
const (
	linkNull     = 0   // BSD loopback: 4-byte address family in the writer's byte order
	linkEthernet = 1   // IEEE 802.3
	linkRawBSD1  = 12  // DLT_RAW on some BSDs
	linkRawBSD2  = 14  // DLT_RAW on OpenBSD
	linkRaw      = 101 // raw IP, version from the first nibble
	linkLoop     = 108 // OpenBSD loopback: address family in network order
	linkSLL      = 113 // Linux cooked capture v1
	linkIPv4     = 228
	linkIPv6     = 229
	linkSLL2     = 276 // Linux cooked capture v2 (tcpdump -i any)
)

// network is the layer a link header leads to.
type network uint8

const (
	netOther network = iota
	netIPv4
	netIPv6
)

func etherNetwork(t uint16) network {
	switch t {
	case 0x0800:
		return netIPv4
	case 0x86dd:
		return netIPv6
	}
	return netOther
}

// familyNetwork maps a BSD address family to IPv4/IPv6: AF_INET is 2
// everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD),
// 30 (Darwin).
func familyNetwork(af uint32) network {
	switch af {
	case 2:
		return netIPv4
	case 10, 24, 28, 30:
		return netIPv6
	}
	return netOther
}

func versionNetwork(b []byte) network {
	if len(b) == 0 {
		return netOther
	}
	switch b[0] >> 4 {
	case 4:
		return netIPv4
	case 6:
		return netIPv6
	}
	return netOther
}

var (
	errLinkShort = errors.New("link header truncated")
	errVersion   = errors.New("IP version does not match the link's protocol")
	errIPv6Ext   = errors.New("IPv6 extension header overruns the packet")
)

// linkPayload strips the link header: the network layer and its bytes. A
// link type this package does not know yields netOther.
func linkPayload(link uint32, b []byte) (network, []byte, error) {
	switch link {
	case linkEthernet:
		if len(b) < 14 {
			return netOther, nil, errLinkShort
		}
		et := binary.BigEndian.Uint16(b[12:14])
		b = b[14:]
		// 802.1Q, 802.1ad and the old QinQ tag: 4 bytes each, then the next type.
		for et == 0x8100 || et == 0x88a8 || et == 0x9100 {
			if len(b) < 4 {
				return netOther, nil, errLinkShort
			}
			et = binary.BigEndian.Uint16(b[2:4])
			b = b[4:]
		}
		return etherNetwork(et), b, nil
	case linkSLL:
		if len(b) < 16 {
			return netOther, nil, errLinkShort
		}
		return etherNetwork(binary.BigEndian.Uint16(b[14:16])), b[16:], nil
	case linkSLL2:
		if len(b) < 20 {
			return netOther, nil, errLinkShort
		}
		return etherNetwork(binary.BigEndian.Uint16(b[0:2])), b[20:], nil
	case linkNull, linkLoop:
		if len(b) < 4 {
			return netOther, nil, errLinkShort
		}
		af := binary.BigEndian.Uint32(b[:4])
		if link == linkNull && (b[0] != 0 || b[1] != 0) {
			// NULL stores the family in the writing host's byte order;
			// families are small, so nonzero high bytes mean little-endian.
			af = binary.LittleEndian.Uint32(b[:4])
		}
		return familyNetwork(af), b[4:], nil
	case linkRaw, linkRawBSD1, linkRawBSD2:
		return versionNetwork(b), b, nil
	case linkIPv4:
		return netIPv4, b, nil
	case linkIPv6:
		return netIPv6, b, nil
	}
	return netOther, nil, nil
}

// plainIPv4 reports whether b is an IPv4 header without options whose
// total length is sound and fully captured: gopacket's IPv4 layer would
// accept it without setting truncated, and its payload is b[20:length].
func plainIPv4(b []byte) bool {
	if len(b) < 20 || b[0] != 0x45 {
		return false
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	return n >= 20 && n <= len(b)
}

// truncation is a gopacket.DecodeFeedback that remembers SetTruncated.
type truncation struct{ truncated bool }

func (t *truncation) SetTruncated() { t.truncated = true }

// decoder holds the reused gopacket layers of the hot path.
type decoder struct {
	ip4 layers.IPv4
	ip6 layers.IPv6
	udp layers.UDP
	tcp layers.TCP
	fb  truncation
}

// packet is what the IP layer hands to the transport layer.
type packet struct {
	src, dst  netip.Addr
	proto     uint8
	payload   []byte
	truncated bool // the capture holds less than the IP length says
}

// malformed turns the current record into an error frame holding the whole
// captured packet.
func (r *Reader) malformed(rec *record, p *packet, t Transport, layer string, err error) bool {
	f := &r.frame
	*f = Frame{Packet: r.stats.Packets, TimeNs: rec.ts, Transport: t, Payload: rec.data, Err: &LayerError{Layer: layer, Err: err}}
	if p != nil {
		f.SrcIP, f.DstIP = p.src, p.dst
	}
	return true
}

// handle decodes one record. It returns true when r.frame holds a frame to
// return now (a UDP datagram or an error frame); TCP segments go to their
// stream and come out through drainTCP.
func (r *Reader) handle(rec *record) bool {
	st := &r.stats
	st.Packets++
	st.Bytes += int64(len(rec.data))
	if st.Packets == 1 {
		st.FirstNs = rec.ts
	}
	st.LastNs = rec.ts
	r.tcp.tick(rec.ts)

	nw, b, err := linkPayload(rec.link, rec.data)
	if err != nil {
		return r.malformed(rec, nil, TransportUnknown, "link", err)
	}
	var p packet
	d := &r.dec
	d.fb.truncated = false
	switch nw {
	case netIPv4:
		if plainIPv4(b) {
			// The common case, read here: what gopacket's layer would
			// make of it, for the fields below, at a fraction of the cost.
			d.ip4.Version, d.ip4.Protocol = 4, layers.IPProtocol(b[9])
			ff := binary.BigEndian.Uint16(b[6:8])
			d.ip4.Flags, d.ip4.FragOffset = layers.IPv4Flag(ff>>13), ff&0x1fff
			d.ip4.Id = binary.BigEndian.Uint16(b[4:6])
			d.ip4.SrcIP, d.ip4.DstIP = b[12:16], b[16:20]
			d.ip4.Payload = b[20:binary.BigEndian.Uint16(b[2:4])]
		} else if err := d.ip4.DecodeFromBytes(b, &d.fb); err != nil {
			return r.malformed(rec, nil, TransportUnknown, "ipv4", err)
		}
		ip := &d.ip4
		if ip.Version != 4 {
			return r.malformed(rec, nil, TransportUnknown, "ipv4", errVersion)
		}
		// Field by field: a composite literal is built on the stack and
		// copied, and reading it back stalls on the stores just made.
		p.src, p.dst = netip.AddrFrom4([4]byte(ip.SrcIP)), netip.AddrFrom4([4]byte(ip.DstIP))
		p.proto, p.payload, p.truncated = uint8(ip.Protocol), ip.Payload, d.fb.truncated
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			if p.truncated {
				return r.malformed(rec, &p, TransportUnknown, "ipv4", fmt.Errorf("fragment: %w", ErrTruncated))
			}
			st.Fragments++
			whole, ok := r.frag.add(fragKey{src: p.src, dst: p.dst, id: uint32(ip.Id), proto: p.proto},
				int(ip.FragOffset)*8, ip.Flags&layers.IPv4MoreFragments != 0, p.payload, rec.ts, st)
			if !ok {
				return false
			}
			p.payload = whole
		}
	case netIPv6:
		if err := d.ip6.DecodeFromBytes(b, &d.fb); err != nil {
			return r.malformed(rec, nil, TransportUnknown, "ipv6", err)
		}
		ip := &d.ip6
		if ip.Version != 6 {
			return r.malformed(rec, nil, TransportUnknown, "ipv6", errVersion)
		}
		p = packet{src: netip.AddrFrom16([16]byte(ip.SrcIP)), dst: netip.AddrFrom16([16]byte(ip.DstIP))}
		if ip.Length != 0 {
			// The payload length counts every extension header. gopacket
			// v1.1.19 measures it after stripping a hop-by-hop header and
			// so flags such packets truncated: slice it here, and let
			// ipv6Extensions walk all extension headers.
			end := 40 + int(ip.Length)
			if end > len(b) {
				end, p.truncated = len(b), true
			}
			p.proto, p.payload = uint8(ip.NextHeader), b[40:end]
			d.fb.truncated = false
		} else if ip.HopByHop != nil {
			// A jumbogram (RFC 2675): gopacket took its length from the
			// hop-by-hop header, which it has already consumed.
			p.proto, p.payload, p.truncated = uint8(ip.HopByHop.NextHeader), ip.Payload, d.fb.truncated
		} else {
			return r.malformed(rec, &p, TransportUnknown, "ipv6", errors.New("payload length 0 without a jumbo option"))
		}
		whole, ok, err := r.ipv6Extensions(&p, rec.ts)
		if err != nil {
			return r.malformed(rec, &p, TransportUnknown, "ipv6", err)
		}
		if !ok {
			return false
		}
		p.payload = whole
	default:
		st.NonIP++
		return false
	}

	switch p.proto {
	case uint8(layers.IPProtocolUDP):
		if u := p.payload; len(u) >= 8 && binary.BigEndian.Uint16(u[4:6]) >= 8 && int(binary.BigEndian.Uint16(u[4:6])) <= len(u) {
			// A whole datagram, read here as for IPv4 above.
			d.udp.SrcPort, d.udp.DstPort = layers.UDPPort(binary.BigEndian.Uint16(u[0:2])), layers.UDPPort(binary.BigEndian.Uint16(u[2:4]))
			d.udp.Payload = u[8:binary.BigEndian.Uint16(u[4:6])]
		} else if err := d.udp.DecodeFromBytes(p.payload, &d.fb); err != nil {
			return r.malformed(rec, &p, UDP, "udp", err)
		}
		u := &d.udp
		if p.truncated || d.fb.truncated {
			return r.malformed(rec, &p, UDP, "udp", ErrTruncated)
		}
		// Field by field, as p above.
		f := &r.frame
		f.Packet, f.TimeNs, f.SrcIP, f.DstIP = st.Packets, rec.ts, p.src, p.dst
		f.SrcPort, f.DstPort, f.Transport, f.Payload, f.Err = uint16(u.SrcPort), uint16(u.DstPort), UDP, u.Payload, nil
		return true
	case uint8(layers.IPProtocolTCP):
		if err := d.tcp.DecodeFromBytes(p.payload, &d.fb); err != nil {
			return r.malformed(rec, &p, TCP, "tcp", err)
		}
		if p.truncated || d.fb.truncated {
			return r.malformed(rec, &p, TCP, "tcp", ErrTruncated)
		}
		t := &d.tcp
		r.tcp.segment(flowKey{src: p.src, dst: p.dst, sport: uint16(t.SrcPort), dport: uint16(t.DstPort)},
			t, st.Packets, rec.ts)
		return false
	}
	st.OtherIP++
	return false
}

// IPv6 extension headers walked to reach the transport (RFC 8200 §4).
const (
	ip6HopByHop    = 0
	ip6Routing     = 43
	ip6Fragment    = 44
	ip6Destination = 60
)

// ipv6Extensions skips routing and destination-options headers and
// reassembles fragments. ok is false when the packet was a fragment of a
// datagram still incomplete.
func (r *Reader) ipv6Extensions(p *packet, ts int64) (payload []byte, ok bool, err error) {
	b := p.payload
	for {
		switch p.proto {
		case ip6HopByHop, ip6Routing, ip6Destination:
			// Generic layout: next header, then the length in 8-octet
			// units not counting the first 8 octets.
			if len(b) < 8 {
				return nil, false, errIPv6Ext
			}
			n := 8 + int(b[1])*8
			if n > len(b) {
				return nil, false, errIPv6Ext
			}
			p.proto, b = b[0], b[n:]
		case ip6Fragment:
			if len(b) < 8 {
				return nil, false, errIPv6Ext
			}
			if p.truncated {
				return nil, false, fmt.Errorf("fragment: %w", ErrTruncated)
			}
			p.proto = b[0]
			off := int(binary.BigEndian.Uint16(b[2:4]) &^ 7)
			more := b[3]&1 != 0
			id := binary.BigEndian.Uint32(b[4:8])
			if off == 0 && !more {
				// An atomic fragment (RFC 6946): the whole datagram.
				b = b[8:]
				continue
			}
			r.stats.Fragments++
			whole, done := r.frag.add(fragKey{src: p.src, dst: p.dst, id: id, proto: p.proto, v6: true},
				off, more, b[8:], ts, &r.stats)
			if !done {
				return nil, false, nil
			}
			b = whole
		default:
			return b, true, nil
		}
	}
}
