package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// recordConn is a net.Conn that records each write it receives.
type recordConn struct {
	net.Conn
	writes [][]byte
}

func (r *recordConn) Write(p []byte) (int, error) {
	r.writes = append(r.writes, append([]byte(nil), p...))
	return len(p), nil
}

// frame returns the ZMTP header and body of one frame, as zmq4 writes them.
func frame(flags byte, body []byte) [][]byte {
	if len(body) > 255 {
		h := []byte{flags | flagLong, 0, 0, 0, 0, 0, 0, 0, 0}
		n := uint64(len(body))
		for i := 8; i >= 1; i-- {
			h[i] = byte(n)
			n >>= 8
		}
		return [][]byte{h, body}
	}
	return [][]byte{{flags, byte(len(body))}, body}
}

func TestGatherConnWritesOneUnitAtOnce(t *testing.T) {
	rec := &recordConn{}
	c := newGatherConn(rec)
	big := bytes.Repeat([]byte("x"), 300)
	huge := bytes.Repeat([]byte("y"), 3*maxPending)
	units := [][][]byte{
		{make([]byte, 10), make([]byte, 54)},                                                    // greeting in two writes
		frame(flagCommand, []byte("\x05READY")),                                                 // a command
		append(append(frame(flagMore, []byte("a")), frame(flagMore, big)...), frame(0, nil)...), // message ending with an empty frame
		append(frame(flagMore, []byte("id")), frame(0, []byte("{}"))...),
	}
	for i, u := range units {
		rec.writes = nil
		var want []byte
		for _, w := range u {
			if n, err := c.Write(w); err != nil || n != len(w) {
				t.Fatalf("unit %d: Write = %d, %v", i, n, err)
			}
			want = append(want, w...)
		}
		if len(rec.writes) != 1 || !bytes.Equal(rec.writes[0], want) {
			t.Errorf("unit %d: %d writes reached the connection, want 1 with the unit's %d bytes", i, len(rec.writes), len(want))
		}
	}
	// A body larger than maxPending is passed on as it comes, and the
	// framing after it is still followed.
	rec.writes = nil
	for _, w := range append(frame(0, huge), frame(0, []byte("z"))...) {
		c.Write(w)
	}
	got := bytes.Join(rec.writes, nil)
	want := bytes.Join(append(frame(0, huge), frame(0, []byte("z"))...), nil)
	if !bytes.Equal(got, want) || len(c.pending) != 0 {
		t.Errorf("after a large frame: %d bytes written (want %d), %d held", len(got), len(want), len(c.pending))
	}
}

// A Server on the gathering transports exchanges messages of every size
// with plain zmq4 peers over tcp and ipc, both ways, and publishes.
func TestServerOverGatheringTransports(t *testing.T) {
	for _, transport := range []string{"tcp", "ipc"} {
		t.Run(transport, func(t *testing.T) {
			srv, info, cleanup := startServer(t, transport, listenEndpoint)
			defer cleanup()
			ctx := context.Background()
			dealer := zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("client")))
			defer dealer.Close()
			sub := zmq4.NewSub(ctx)
			defer sub.Close()
			if err := dealer.Dial(info.Endpoint(info.ShellPort)); err != nil {
				t.Fatal(err)
			}
			if err := sub.Dial(info.Endpoint(info.IOPubPort)); err != nil {
				t.Fatal(err)
			}
			sub.SetOption(zmq4.OptionSubscribe, "")
			signer, _ := NewSigner(info.SignatureScheme, []byte(info.Key))
			for _, size := range []int{0, 200, 300, 70 << 10, 300 << 10} {
				code := strings.Repeat("c", size)
				h := Header{MsgID: NewID(), Session: "s", MsgType: "execute_request", Version: Version, Date: Timestamp(time.Now())}
				f, err := Encode(nil, h, nil, nil, map[string]string{"code": code}, nil, signer)
				if err != nil {
					t.Fatal(err)
				}
				if err := dealer.SendMulti(zmq4.NewMsgFrom(f...)); err != nil {
					t.Fatal(err)
				}
				var req *Message
				select {
				case req = <-srv.Shell():
				case <-time.After(10 * time.Second):
					t.Fatalf("size %d: request not received", size)
				}
				var c struct{ Code string }
				if err := req.DecodeContent(&c); err != nil || c.Code != code {
					t.Fatalf("size %d: received code of %d bytes, %v", size, len(c.Code), err)
				}
				srv.Publish(req, "stream", map[string]string{"text": code})
				if err := srv.Reply(req, "execute_reply", map[string]string{"echo": code}); err != nil {
					t.Fatal(err)
				}
				rep, err := dealer.Recv()
				if err != nil {
					t.Fatal(err)
				}
				m, err := Decode(Shell, rep.Frames, signer, nil)
				if err != nil {
					t.Fatalf("size %d: reply: %v", size, err)
				}
				var e struct{ Echo string }
				if m.DecodeContent(&e); e.Echo != code || !bytes.Equal(m.ParentHeader, req.RawHeader) {
					t.Fatalf("size %d: reply echo of %d bytes", size, len(e.Echo))
				}
			}
			// The subscription may start after the first publications:
			// publish until one arrives.
			got := make(chan error, 1)
			go func() {
				_, err := sub.Recv()
				got <- err
			}()
			for i := 0; ; i++ {
				srv.Publish(nil, "status", map[string]string{"execution_state": "idle"})
				select {
				case err := <-got:
					if err != nil {
						t.Fatal(err)
					}
					return
				case <-time.After(20 * time.Millisecond):
				}
				if i == 250 {
					t.Fatal("nothing published reached the subscriber")
				}
			}
		})
	}
}

func startServer(t testing.TB, transport string, bindTo func(string) string) (*Server, *ConnectionInfo, func()) {
	info := &ConnectionInfo{Transport: transport, IP: "127.0.0.1", SignatureScheme: "hmac-sha256", Key: "secret"}
	ports := []*int{&info.ShellPort, &info.IOPubPort, &info.StdinPort, &info.ControlPort, &info.HBPort}
	if transport == "ipc" {
		info.IP = filepath.Join(t.TempDir(), "k")
		for i, p := range ports {
			*p = i + 1
		}
	} else {
		for _, p := range ports {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			*p = l.Addr().(*net.TCPAddr).Port
			l.Close()
		}
	}
	srv, err := listen(info, log.New(io.Discard, "", 0), bindTo)
	if err != nil {
		t.Fatal(err)
	}
	return srv, info, func() { srv.Close() }
}

// BenchmarkRoundTrip answers execute_request-like messages the way the
// kernel does (status busy, reply, status idle) to a zmq4 DEALER and SUB
// over loopback tcp, on zmq4's own tcp transport and on the gathering one,
// in the same run.
func BenchmarkRoundTrip(b *testing.B) {
	for _, c := range []struct {
		name   string
		bindTo func(string) string
	}{{"zmq4-tcp", func(ep string) string { return ep }}, {"gathering", listenEndpoint}} {
		b.Run(c.name, func(b *testing.B) {
			srv, info, cleanup := startServer(b, "tcp", c.bindTo)
			defer cleanup()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				for {
					select {
					case m := <-srv.Shell():
						srv.Publish(m, "status", map[string]any{"execution_state": "busy"})
						srv.Reply(m, "execute_reply", map[string]any{"status": "ok", "execution_count": 1, "user_expressions": map[string]any{}, "payload": []any{}})
						srv.Publish(m, "status", map[string]any{"execution_state": "idle"})
					case <-ctx.Done():
						return
					}
				}
			}()
			dealer := zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("client")))
			defer dealer.Close()
			sub := zmq4.NewSub(ctx)
			defer sub.Close()
			if err := dealer.Dial(info.Endpoint(info.ShellPort)); err != nil {
				b.Fatal(err)
			}
			sub.Dial(info.Endpoint(info.IOPubPort))
			sub.SetOption(zmq4.OptionSubscribe, "")
			go func() {
				for {
					if _, err := sub.Recv(); err != nil {
						return
					}
				}
			}()
			signer, _ := NewSigner(info.SignatureScheme, []byte(info.Key))
			content := json.RawMessage(`{"code":"1+1","silent":false,"store_history":true,"user_expressions":{},"allow_stdin":false}`)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h := Header{MsgID: NewID(), Session: "s", MsgType: "execute_request", Version: Version, Date: "2026-01-01T00:00:00.000000Z"}
				f, _ := Encode(nil, h, nil, nil, content, nil, signer)
				if err := dealer.SendMulti(zmq4.NewMsgFrom(f...)); err != nil {
					b.Fatal(err)
				}
				if _, err := dealer.Recv(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
