package protocol

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// hashes maps the hash part of a signature_scheme ("hmac-<hash>") to Go's
// implementation. jupyter_client accepts any hashlib name; these are the
// ones Go's standard library offers.
var hashes = map[string]func() hash.Hash{
	"md5":        md5.New,
	"sha1":       sha1.New,
	"sha224":     sha256.New224,
	"sha256":     sha256.New,
	"sha384":     sha512.New384,
	"sha512":     sha512.New,
	"sha512_224": sha512.New512_224,
	"sha512_256": sha512.New512_256,
	"sha3_224":   func() hash.Hash { return sha3.New224() },
	"sha3_256":   func() hash.Hash { return sha3.New256() },
	"sha3_384":   func() hash.Hash { return sha3.New384() },
	"sha3_512":   func() hash.Hash { return sha3.New512() },
}

// Signer computes and checks message signatures: the hex HMAC, under the
// connection key, of header, parent_header, metadata and content in that
// order (messaging.rst "The Wire Protocol"). An empty key disables signing:
// signatures are "" and every message verifies.
type Signer struct {
	key  []byte
	hash func() hash.Hash
	pool sync.Pool
}

// NewSigner returns the signer of scheme (e.g. "hmac-sha256"; "" means
// hmac-sha256) and key.
func NewSigner(scheme string, key []byte) (*Signer, error) {
	if scheme == "" {
		scheme = "hmac-sha256"
	}
	name, ok := strings.CutPrefix(strings.ToLower(scheme), "hmac-")
	if !ok {
		return nil, fmt.Errorf("signature_scheme %q: not an hmac-<hash> scheme", scheme)
	}
	h, ok := hashes[strings.ReplaceAll(name, "-", "_")]
	if !ok {
		return nil, fmt.Errorf("signature_scheme %q: hash %q is not available", scheme, name)
	}
	s := &Signer{key: append([]byte(nil), key...), hash: h}
	s.pool.New = func() any { return hmac.New(s.hash, s.key) }
	return s, nil
}

// Enabled reports whether messages are signed.
func (s *Signer) Enabled() bool { return len(s.key) > 0 }

func (s *Signer) mac(parts [4][]byte) []byte {
	m := s.pool.Get().(hash.Hash)
	m.Reset()
	for _, p := range parts {
		m.Write(p)
	}
	sum := m.Sum(nil)
	s.pool.Put(m)
	return sum
}

// Sign returns the hex signature of the four message parts.
func (s *Signer) Sign(parts [4][]byte) string {
	if !s.Enabled() {
		return ""
	}
	return hex.EncodeToString(s.mac(parts))
}

// Verify reports whether sig is the valid signature of parts, in constant
// time.
func (s *Signer) Verify(sig []byte, parts [4][]byte) bool {
	if !s.Enabled() {
		return true
	}
	want := s.mac(parts)
	got := make([]byte, hex.DecodedLen(len(sig)))
	n, err := hex.Decode(got, sig)
	if err != nil || n != len(want) {
		return false
	}
	return hmac.Equal(got, want)
}

// ReplayGuard remembers recently seen signatures and refuses a signature
// seen before, as jupyter_client's Session.digest_history does. It keeps at
// most Capacity signatures, forgetting the oldest first (jupyter_client
// culls a random 10% at 2^16). A signature is remembered by its first 8
// bytes: a replay has the same prefix, so it is always refused, and a new
// message is wrongly refused only if its HMAC's first 64 bits equal one of
// the 2^16 remembered (probability 2^-48). Both tables are allocated at
// full size up front, so the kernel's memory does not grow with the number
// of messages it has received.
type ReplayGuard struct {
	mu   sync.Mutex
	seen map[uint64]struct{}
	ring []uint64 // the remembered keys, oldest at next once full
	n    int      // keys in ring
	next int
}

// Capacity is the number of signatures a ReplayGuard remembers.
const Capacity = 1 << 16

// NewReplayGuard returns an empty guard.
func NewReplayGuard() *ReplayGuard {
	return &ReplayGuard{seen: make(map[uint64]struct{}, Capacity), ring: make([]uint64, Capacity)}
}

// Check records sig and reports false if it was already recorded.
func (g *ReplayGuard) Check(sig []byte) bool {
	var b [8]byte
	if n, err := hex.Decode(b[:], sig[:min(len(sig), 16)]); err != nil || n < 8 {
		// Not hex (or short): remember the raw bytes.
		b = [8]byte{}
		copy(b[:], sig)
	}
	k := binary.LittleEndian.Uint64(b[:])
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, dup := g.seen[k]; dup {
		return false
	}
	g.seen[k] = struct{}{}
	if g.n < Capacity {
		g.ring[g.n] = k
		g.n++
		return true
	}
	delete(g.seen, g.ring[g.next])
	g.ring[g.next] = k
	g.next = (g.next + 1) % Capacity
	return true
}
