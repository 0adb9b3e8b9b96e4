package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/peerscope/peerscope/kernel/protocol/prebind"
)

// Server owns the kernel's five sockets. Received shell, control and stdin
// messages are delivered on the channels returned by Shell, Control and
// Stdin; heartbeat pings are echoed by a goroutine of their own so they are
// answered whatever the kernel is doing.
type Server struct {
	info    *ConnectionInfo
	signer  *Signer
	guard   *ReplayGuard
	session string
	user    string
	log     *log.Logger

	ctx    context.Context
	cancel context.CancelFunc

	sockets [4]zmq4.Socket // indexed by Channel
	hb      zmq4.Socket
	sendMu  [4]sync.Mutex

	in [3]chan *Message // Shell, Control, Stdin
	wg sync.WaitGroup
}

// Listen binds the sockets of info and starts receiving. Messages with a bad
// signature or a replayed one are dropped and logged on logger.
func Listen(info *ConnectionInfo, logger *log.Logger) (*Server, error) {
	return listen(info, logger, listenEndpoint)
}

// listen is Listen with the mapping from a connection-file endpoint to the
// endpoint bound (the gathering transports, or the endpoint itself to
// measure zmq4's own).
func listen(info *ConnectionInfo, logger *log.Logger, bindTo func(string) string) (*Server, error) {
	signer, err := NewSigner(info.SignatureScheme, []byte(info.Key))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	user := os.Getenv("USER")
	if user == "" {
		user = "kernel"
	}
	s := &Server{
		info: info, signer: signer, guard: NewReplayGuard(),
		session: NewID(), user: user, log: logger,
		ctx: ctx, cancel: cancel,
	}
	for i := range s.in {
		s.in[i] = make(chan *Message, 256)
	}
	s.sockets[Shell] = zmq4.NewRouter(ctx, zmq4.WithID(zmq4.SocketIdentity("shell")))
	s.sockets[Control] = zmq4.NewRouter(ctx, zmq4.WithID(zmq4.SocketIdentity("control")))
	s.sockets[Stdin] = zmq4.NewRouter(ctx, zmq4.WithID(zmq4.SocketIdentity("stdin")))
	s.sockets[IOPub] = zmq4.NewPub(ctx)
	s.hb = zmq4.NewRep(ctx)
	ports := map[Channel]int{Shell: info.ShellPort, Control: info.ControlPort, Stdin: info.StdinPort, IOPub: info.IOPubPort}
	for ch, port := range ports {
		if err := s.sockets[ch].Listen(bindTo(info.Endpoint(port))); err != nil {
			s.Close()
			return nil, fmt.Errorf("binding %s socket to %s: %w", ch, info.Endpoint(port), err)
		}
	}
	if err := s.hb.Listen(bindTo(info.Endpoint(info.HBPort))); err != nil {
		s.Close()
		return nil, fmt.Errorf("binding heartbeat socket to %s: %w", info.Endpoint(info.HBPort), err)
	}
	prebind.Release() // sockets of ports the connection file no longer names
	for _, ch := range []Channel{Shell, Control, Stdin} {
		s.wg.Add(1)
		go s.receive(ch)
	}
	s.wg.Add(1)
	go s.heartbeat()
	return s, nil
}

// Session returns the kernel's session id, used in every header it sends.
func (s *Server) Session() string { return s.session }

// Shell returns the channel of received shell requests.
func (s *Server) Shell() <-chan *Message { return s.in[Shell] }

// Control returns the channel of received control requests.
func (s *Server) Control() <-chan *Message { return s.in[Control] }

// Stdin returns the channel of received stdin replies.
func (s *Server) Stdin() <-chan *Message { return s.in[Stdin] }

func (s *Server) receive(ch Channel) {
	defer s.wg.Done()
	for {
		zm, err := s.sockets[ch].Recv()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.log.Printf("%s: receive: %v", ch, err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		m, err := Decode(ch, zm.Frames, s.signer, s.guard)
		if err != nil {
			// Dropped, as jupyter_client's Session.deserialize refuses it.
			s.log.Printf("dropped message: %v", err)
			continue
		}
		select {
		case s.in[ch] <- m:
		case <-s.ctx.Done():
			return
		}
	}
}

// heartbeat echoes every ping as it is (messaging.rst "Heartbeat for
// kernels"); it never touches the interpreter, so it answers while a cell
// runs.
func (s *Server) heartbeat() {
	defer s.wg.Done()
	for {
		m, err := s.hb.Recv()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.log.Printf("heartbeat: receive: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err := s.hb.Send(m); err != nil && s.ctx.Err() == nil {
			s.log.Printf("heartbeat: send: %v", err)
		}
	}
}

// header returns a fresh header of msgType from this kernel.
func (s *Server) header(msgType string) Header {
	return Header{
		MsgID: NewID(), Session: s.session, Username: s.user,
		Date: Timestamp(time.Now()), MsgType: msgType, Version: Version,
	}
}

// Send sends a message of msgType on ch to identities, with parent as the
// parent header (nil for none).
func (s *Server) Send(ch Channel, identities [][]byte, parent *Message, msgType string, content any, metadata json.RawMessage, buffers [][]byte) error {
	var ph json.RawMessage
	if parent != nil {
		ph = parent.RawHeader
	}
	frames, err := Encode(identities, s.header(msgType), ph, metadata, content, buffers, s.signer)
	if err != nil {
		return err
	}
	s.sendMu[ch].Lock()
	defer s.sendMu[ch].Unlock()
	if err := s.sockets[ch].SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		return fmt.Errorf("sending %s on %s: %w", msgType, ch, err)
	}
	return nil
}

// Reply answers req on the socket it came in on, to its identities.
func (s *Server) Reply(req *Message, msgType string, content any) error {
	return s.Send(req.Channel, req.Identities, req, msgType, content, nil, nil)
}

// Publish sends msgType on IOPub with parent as the parent header; the topic
// frame is the message type, as ipykernel does.
func (s *Server) Publish(parent *Message, msgType string, content any) error {
	return s.Send(IOPub, [][]byte{[]byte(msgType)}, parent, msgType, content, nil, nil)
}

// PublishBuffers is Publish with binary buffers (comm messages).
func (s *Server) PublishBuffers(parent *Message, msgType string, content any, buffers [][]byte) error {
	return s.Send(IOPub, [][]byte{[]byte(msgType)}, parent, msgType, content, nil, buffers)
}

// Close stops receiving and closes every socket.
func (s *Server) Close() error {
	s.cancel()
	var errs []error
	for _, sk := range s.sockets {
		if sk != nil {
			errs = append(errs, sk.Close())
		}
	}
	if s.hb != nil {
		errs = append(errs, s.hb.Close())
	}
	return errors.Join(errs...)
}
