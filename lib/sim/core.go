package sim

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/peerscope/peerscope/lib/wire"
)

// Entity kinds mixed into a generator's PCG stream selector, so that every
// entity draws from its own stream: adding a peer never changes another
// peer's draws, and the same seed always gives the same swarm.
const (
	kindPopulation uint64 = iota + 1
	kindPeer
	kindTracker
	kindCrawler
	kindHost
	kindVoDPeer
	kindNoise
	kindClass
)

// newStream returns the PCG generator for entity (kind, index) under seed.
func newStream(seed, kind, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, mix64(kind<<48^index^0x9e3779b97f4a7c15)))
}

// mix64 is the splitmix64 finaliser: a bijective avalanche of x. It turns
// (seed, peer, chunk) into the uniform draws that decide a chunk's fate
// statelessly, so a buffer map can be recomputed at any time.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// guidFrom derives a 16-byte identifier from a generator.
func guidFrom(r *rand.Rand) wire.GUID {
	var g wire.GUID
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			g[i+j] = byte(v >> (8 * j))
		}
	}
	return g
}

// parseGUID reads 32 hex digits.
func parseGUID(s string) (wire.GUID, error) {
	var g wire.GUID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return g, fmt.Errorf("channel id %q: want 32 hex digits", s)
	}
	copy(g[:], b)
	return g, nil
}

// Endpoint is an IPv4 address and port of a simulated entity.
type Endpoint struct {
	IP   [4]byte
	Port uint16
}

// String returns "a.b.c.d:port", the form the dataset tables use.
func (e Endpoint) String() string {
	return netip.AddrPortFrom(netip.AddrFrom4(e.IP), e.Port).String()
}

// Synthetic address plan. Peers live in 10.0.0.0/8, start-up hosts in
// 172.16.0.0/12, and the fixed infrastructure in the documentation ranges
// (RFC 5737), so no generated address belongs to a real party.
var (
	trackerIP   = [4]byte{192, 0, 2, 10}
	crawlerIP   = [4]byte{198, 51, 100, 7}
	dnsServerIP = [4]byte{203, 0, 113, 53}
	webServerIP = [4]byte{203, 0, 113, 80}
)

// Default ports of the reference protocol (spec: peers UDP 4004 / TCP 8008,
// tracker UDP 5041; pps UDP 17788).
const (
	portPeerUDP    = 4004
	portPeerTCP    = 8008
	portTracker    = 5041
	portPPS        = 17788
	portDNS        = 53
	portHTTP       = 80
	crawlerUDPPort = 4004
)

// peerIP numbers peers from 10.0.0.1 upwards; block separates the address
// blocks of different populations (live swarm, pps swarm, start-up classes).
func peerIP(block, i int) [4]byte {
	n := uint32(block)<<20 + uint32(i) + 1
	return [4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}
}

// hostIP numbers start-up hosts from 172.16.0.1 upwards.
func hostIP(i int) [4]byte {
	n := uint32(i) + 1
	return [4]byte{172, 16 + byte(n>>16&0x0f), byte(n >> 8), byte(n)}
}

// Epoch is the default capture start: the day of the paper's trace 070502.
var defaultEpoch = time.Date(2007, 5, 2, 8, 0, 0, 0, time.UTC)

// sec converts seconds to nanoseconds, rounding to the nearest ns.
func sec(s float64) int64 { return int64(math.Round(s * 1e9)) }

// seconds converts nanoseconds to seconds.
func seconds(ns int64) float64 { return float64(ns) / 1e9 }
