// Package protocol implements the Jupyter messaging protocol 5.4 wire layer
// of the peerscope kernel: the connection file, HMAC signing and
// verification with replay refusal, the multipart frame format and the five
// ZeroMQ sockets (shell, control, stdin, iopub, heartbeat) over the pure-Go
// github.com/go-zeromq/zmq4.
//
// Reference: jupyter_client docs/messaging.rst ("The Wire Protocol",
// "Heartbeat for kernels") and jupyter_client/session.py for the signature
// and replay rules.
package protocol

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Version is the messaging protocol version the kernel speaks.
const Version = "5.4"

// Delimiter separates the routing identities from the message proper.
const Delimiter = "<IDS|MSG>"

// Channel names the socket a message came in on or goes out on.
type Channel int

// The kernel's channels.
const (
	Shell Channel = iota
	Control
	Stdin
	IOPub
)

func (c Channel) String() string {
	switch c {
	case Shell:
		return "shell"
	case Control:
		return "control"
	case Stdin:
		return "stdin"
	case IOPub:
		return "iopub"
	}
	return fmt.Sprintf("channel(%d)", int(c))
}

// Header is a message header.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one decoded Jupyter message. RawHeader keeps the header bytes
// exactly as received so replies echo them verbatim as parent_header.
type Message struct {
	Channel      Channel
	Identities   [][]byte
	Header       Header
	RawHeader    json.RawMessage
	ParentHeader json.RawMessage
	Metadata     json.RawMessage
	Content      json.RawMessage
	Buffers      [][]byte
}

// Type returns the message type.
func (m *Message) Type() string { return m.Header.MsgType }

// DecodeContent unmarshals the content into v.
func (m *Message) DecodeContent(v any) error {
	if err := json.Unmarshal(m.Content, v); err != nil {
		return fmt.Errorf("%s %s: decoding content: %w", m.Channel, m.Header.MsgType, err)
	}
	return nil
}

// NewID returns a random UUID-4 string, the form Jupyter uses for msg_id
// and session ids.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("protocol: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Timestamp formats t as the ISO 8601 date the protocol requires in headers
// (UTC, microseconds, as jupyter_client writes it).
func Timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}
