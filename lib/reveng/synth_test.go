package reveng

import (
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/peerscope/peerscope/lib/wire"
)

// swarmConfig shapes a synthetic ppl live capture seen from one crawler:
// a tracker and peers whose playback edges advance at rate chunks/s. It is
// synthetic test traffic, built with lib/wire's encoders, standing in for
// lib/sim in unit tests.
type swarmConfig struct {
	seed     uint64
	peers    int
	seconds  float64
	rate     float64 // chunks per second
	start    uint32  // seeder's newest chunk at t = 0
	channel  wire.GUID
	noTCP    bool
	noHeader bool // do not emit the occasional tracker/handshake messages
}

var (
	crawlerAddr = netip.MustParseAddrPort("10.0.0.1:4004")
	trackerAddr = netip.MustParseAddrPort("10.0.0.2:5041")
	t0ns        = int64(1_700_000_000_000_000_000)
)

type synthPeer struct {
	udp, tcp netip.AddrPort
	id       wire.GUID
	lag      float64 // chunks behind the seeder
	width    int
	phase    float64 // BM push phase, s
	upRate   float64 // kB/s
	downBase uint32
	join     float64
}

// synthSwarm returns the messages of a synthetic capture, in time order.
func synthSwarm(cfg swarmConfig) []Message {
	r := rand.New(rand.NewPCG(cfg.seed, 7))
	peers := make([]synthPeer, cfg.peers)
	for i := range peers {
		ip := netip.AddrFrom4([4]byte{byte(58 + r.IntN(60)), byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(250))})
		udpPort := uint16(4004)
		if r.IntN(4) == 0 {
			udpPort = uint16(20000 + r.IntN(40000)) // behind a NAT
		}
		p := synthPeer{udp: netip.AddrPortFrom(ip, udpPort), tcp: netip.AddrPortFrom(ip, 8008),
			lag: 150 + 600*r.Float64(), width: 400 + 8*r.IntN(60) + r.IntN(8), phase: 5 * r.Float64(),
			upRate: 5 + 80*r.Float64(), downBase: uint32(r.IntN(500000)), join: cfg.seconds * 0.2 * r.Float64()}
		for k := range p.id {
			p.id[k] = byte(r.IntN(256))
		}
		peers[i] = p
	}
	var msgs []Message
	emit := func(t float64, src, dst netip.AddrPort, tr Transport, payload []byte) {
		msgs = append(msgs, Message{Payload: payload, TimeNs: t0ns + int64(t*1e9), Src: src, Dst: dst, Transport: tr})
	}
	seeder := func(t float64) uint32 { return cfg.start + uint32(cfg.rate*t) }
	ppl := func(t wire.Type, body wire.Body) []byte { return wire.AppendPPL(nil, cfg.channel, t, body) }
	entries := func(k int) []wire.PeerEntry {
		var es []wire.PeerEntry
		for _, j := range r.Perm(len(peers))[:k] {
			p := peers[j]
			es = append(es, wire.PeerEntry{IP: p.udp.Addr().As4(), UDPPort: p.udp.Port(), TCPPort: p.tcp.Port()})
		}
		return es
	}
	if !cfg.noHeader {
		var me wire.GUID
		me[0] = 0x42
		emit(0, crawlerAddr, trackerAddr, UDP, ppl(wire.TrackerRegister, &wire.TrackerRegisterBody{PeerID: me, IP: crawlerAddr.Addr().As4(), UDPPort: 4004, TCPPort: 8008}))
		emit(0.05, trackerAddr, crawlerAddr, UDP, ppl(wire.TrackerRegisterAck, &wire.TrackerRegisterAckBody{ServerTimeMs: uint64(t0ns/1e6) + 50}))
	}
	for t := 1.0; t < cfg.seconds; t += 10 {
		emit(t, crawlerAddr, trackerAddr, UDP, ppl(wire.TrackerOffsetReq, nil))
		s := seeder(t + 0.04)
		emit(t+0.04, trackerAddr, crawlerAddr, UDP, ppl(wire.TrackerOffsetResp, &wire.TrackerOffsetRespBody{TkOffMin: s - uint32(120*cfg.rate), TkOffMax: s}))
	}
	for t := 2.0; t < cfg.seconds; t += 20 {
		emit(t, crawlerAddr, trackerAddr, UDP, ppl(wire.TrackerPeerListReq, &wire.PeerListReqBody{MaxPeers: 60}))
		emit(t+0.03, trackerAddr, crawlerAddr, UDP, ppl(wire.TrackerPeerListResp, &wire.PeerListBody{Entries: entries(min(len(peers), 5+r.IntN(20)))}))
	}
	for i := range peers {
		p := &peers[i]
		if !cfg.noHeader {
			var me wire.GUID
			me[0] = 0x42
			emit(p.join, crawlerAddr, p.udp, UDP, ppl(wire.Handshake, &wire.HandshakeBody{PeerID: me, UDPPort: 4004, TCPPort: 8008, ClientVersion: 17}))
			emit(p.join+0.02, p.udp, crawlerAddr, UDP, ppl(wire.Handshake, &wire.HandshakeBody{PeerID: p.id, UDPPort: p.udp.Port(), TCPPort: 8008, ClientVersion: 17}))
		}
		up := float64(r.IntN(10000))
		for t := p.join + p.phase; t < cfg.seconds; t += 5 + 0.2*r.Float64() {
			edge := float64(seeder(t)) - p.lag + 4*r.NormFloat64()
			off := uint32(edge)
			// The leading half is held; beyond it about a quarter of the
			// chunks (two random words ANDed).
			bm := make([]byte, (p.width+7)/8)
			playable := p.width / 2
			for k := range bm {
				bm[k] = byte(r.Uint32() & r.Uint32())
				if 8*k+8 <= playable {
					bm[k] = 0xff
				}
			}
			for b := playable &^ 7; b < playable; b++ {
				wire.SetBit(bm, b)
			}
			if rem := p.width % 8; rem != 0 {
				bm[len(bm)-1] &= 1<<rem - 1
			}
			up += p.upRate * 5
			emit(t, p.udp, crawlerAddr, UDP, ppl(wire.BufferMap, &wire.BufferMapBody{Offset: off, Width: uint16(p.width),
				UpTotalKB: uint32(up), DownTotalKB: p.downBase + uint32(48*(t-p.join)), UpKbps: uint16(r.IntN(800)), DownKbps: uint16(300 + r.IntN(200)), Bitmap: bm}))
			if r.IntN(3) == 0 {
				id := off + uint32(r.IntN(p.width))
				emit(t+0.1, crawlerAddr, p.udp, UDP, ppl(wire.ChunkReq, &wire.ChunkReqBody{ChunkID: id, Piece: uint16(r.IntN(16)), Count: 1}))
				if !cfg.noTCP {
					data := make([]byte, 256+r.IntN(768))
					for k := range data {
						data[k] = byte(r.IntN(256))
					}
					emit(t+0.2, p.tcp, netip.AddrPortFrom(crawlerAddr.Addr(), 8008), TCP, ppl(wire.ChunkResp, &wire.ChunkRespBody{ChunkID: id, Piece: 0, Data: data}))
				}
			}
			if r.IntN(6) == 0 {
				emit(t+0.3, crawlerAddr, p.udp, UDP, ppl(wire.PeerListReq, &wire.PeerListReqBody{MaxPeers: 30}))
				emit(t+0.35, p.udp, crawlerAddr, UDP, ppl(wire.PeerListResp, &wire.PeerListBody{Entries: entries(min(len(peers), 3+r.IntN(12)))}))
			}
		}
	}
	slices.SortStableFunc(msgs, func(a, b Message) int {
		switch {
		case a.TimeNs < b.TimeNs:
			return -1
		case a.TimeNs > b.TimeNs:
			return 1
		}
		return 0
	})
	return msgs
}

func testChannel() wire.GUID {
	var g wire.GUID
	copy(g[:], []byte{0x9c, 0x41, 0x07, 0xd2, 0x5e, 0x8a, 0x33, 0x10, 0xfa, 0x61, 0x2b, 0xc4, 0x08, 0x77, 0xe5, 0x19})
	return g
}
