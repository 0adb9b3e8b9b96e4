package protocol

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"testing"
)

// signature computed independently with crypto/hmac, the oracle.
func oracle(key string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignMatchesHMAC(t *testing.T) {
	s, err := NewSigner("hmac-sha256", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	parts := [4][]byte{[]byte(`{"msg_id":"1"}`), []byte(`{}`), []byte(`{}`), []byte(`{"code":"1+1"}`)}
	got := s.Sign(parts)
	want := oracle("secret", `{"msg_id":"1"}`, `{}`, `{}`, `{"code":"1+1"}`)
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if !s.Verify([]byte(want), parts) {
		t.Error("Verify rejected a good signature")
	}
	bad := []byte(want)
	bad[0] ^= 1
	for _, sig := range [][]byte{bad, []byte("zz"), nil, []byte(want[:10])} {
		if s.Verify(sig, parts) {
			t.Errorf("Verify accepted %q", sig)
		}
	}
}

func TestSchemes(t *testing.T) {
	for scheme, size := range map[string]int{
		"hmac-sha256": 32, "hmac-sha512": 64, "hmac-sha1": 20, "hmac-md5": 16, "hmac-sha384": 48,
		"hmac-sha224": 28, "hmac-sha3-256": 32, "hmac-sha3_512": 64, "": 32, "HMAC-SHA256": 32,
	} {
		s, err := NewSigner(scheme, []byte("k"))
		if err != nil {
			t.Errorf("%q: %v", scheme, err)
			continue
		}
		if n := len(s.Sign([4][]byte{})); n != 2*size {
			t.Errorf("%q: signature of %d hex digits, want %d", scheme, n, 2*size)
		}
	}
	for _, bad := range []string{"sha256", "hmac-whirlpool", "rsa-sha256"} {
		if _, err := NewSigner(bad, []byte("k")); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUnsigned(t *testing.T) {
	s, _ := NewSigner("hmac-sha256", nil)
	if s.Enabled() || s.Sign([4][]byte{}) != "" || !s.Verify([]byte("anything"), [4][]byte{}) {
		t.Error("empty key must disable signing")
	}
}

func frames(t *testing.T, s *Signer, content string) [][]byte {
	t.Helper()
	h := Header{MsgID: NewID(), Session: "s", MsgType: "execute_request", Version: Version, Date: "2026-01-01T00:00:00.000000Z"}
	f, err := Encode([][]byte{[]byte("client-id")}, h, nil, nil, json.RawMessage(content), [][]byte{[]byte("buf")}, s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRoundTrip(t *testing.T) {
	s, _ := NewSigner("hmac-sha256", []byte("key"))
	f := frames(t, s, `{"code":"x"}`)
	if string(f[1]) != Delimiter || len(f) != 8 {
		t.Fatalf("frames = %q", f)
	}
	m, err := Decode(Shell, f, s, NewReplayGuard())
	if err != nil {
		t.Fatal(err)
	}
	if m.Type() != "execute_request" || string(m.Identities[0]) != "client-id" || string(m.Content) != `{"code":"x"}` || len(m.Buffers) != 1 {
		t.Errorf("decoded %+v", m)
	}
	var c struct{ Code string }
	if err := m.DecodeContent(&c); err != nil || c.Code != "x" {
		t.Errorf("content %v %v", c, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	s, _ := NewSigner("hmac-sha256", []byte("key"))
	other, _ := NewSigner("hmac-sha256", []byte("other"))
	good := frames(t, s, `{}`)
	tampered := frames(t, s, `{}`)
	tampered[len(tampered)-2] = []byte(`{"code":"evil"}`)
	cases := []struct {
		name string
		f    [][]byte
		want error
	}{
		{"no delimiter", [][]byte{[]byte("a"), []byte("b")}, ErrNoDelimiter},
		{"short", [][]byte{[]byte(Delimiter), []byte("sig"), []byte("{}")}, ErrShort},
		{"wrong key", frames(t, other, `{}`), ErrSignature},
		{"tampered content", tampered, ErrSignature},
	}
	g := NewReplayGuard()
	for _, c := range cases {
		if _, err := Decode(Shell, c.f, s, g); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := Decode(Shell, good, s, g); err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	if _, err := Decode(Shell, good, s, g); !errors.Is(err, ErrReplay) {
		t.Errorf("replay: err = %v, want ErrReplay", err)
	}
}

func TestReplayGuardEvictsOldest(t *testing.T) {
	g := NewReplayGuard()
	for i := 0; i < Capacity+10; i++ {
		if !g.Check([]byte{byte(i), byte(i >> 8), byte(i >> 16)}) {
			t.Fatalf("signature %d refused on first sight", i)
		}
	}
	if !g.Check([]byte{0, 0, 0}) {
		t.Error("the oldest signature should have been forgotten")
	}
	last := Capacity + 9
	if g.Check([]byte{byte(last), byte(last >> 8), byte(last >> 16)}) {
		t.Error("a recent signature was accepted twice")
	}
}

func TestEndpoint(t *testing.T) {
	tcp := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1"}
	ipc := ConnectionInfo{Transport: "ipc", IP: "/tmp/kernel"}
	if got := tcp.Endpoint(5555); got != "tcp://127.0.0.1:5555" {
		t.Error(got)
	}
	if got := ipc.Endpoint(3); got != "ipc:///tmp/kernel-3" {
		t.Error(got)
	}
}

func FuzzDecode(f *testing.F) {
	s, _ := NewSigner("hmac-sha256", nil)
	f.Add([]byte(`{"msg_type":"x"}`), []byte(`{}`), []byte(`{"a":1}`))
	f.Add([]byte(`not json`), []byte(``), []byte(`{`))
	f.Fuzz(func(t *testing.T, h, p, c []byte) {
		fr := [][]byte{[]byte("id"), []byte(Delimiter), nil, h, p, []byte("{}"), c}
		m, err := Decode(Shell, fr, s, nil)
		if err == nil && m.Header.MsgType == "" {
			t.Fatal("decoded a message without msg_type")
		}
	})
}

// The guard is allocated at full size: remembering signatures up to its
// capacity does not grow the heap (the kernel's memory stays flat over a
// long session).
func TestReplayGuardDoesNotGrow(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	g := NewReplayGuard()
	s, _ := NewSigner("hmac-sha256", []byte("k"))
	sig := func(i int) []byte { return []byte(s.Sign([4][]byte{[]byte(fmt.Sprint(i))})) }
	for i := 0; i < 1000; i++ {
		g.Check(sig(i))
	}
	before := heap()
	for i := 1000; i < 3*Capacity; i++ {
		if !g.Check(sig(i)) {
			t.Fatalf("signature %d refused on first sight", i)
		}
	}
	after := heap()
	runtime.KeepAlive(g)
	if after > before+256<<10 {
		t.Errorf("heap grew from %d to %d KiB over %d signatures", before>>10, after>>10, 3*Capacity-1000)
	}
	if g.Check(sig(3*Capacity - 1)) {
		t.Error("a recent signature was accepted twice")
	}
}
