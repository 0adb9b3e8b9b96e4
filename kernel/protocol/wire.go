package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Errors of Decode. ErrSignature and ErrReplay messages must be dropped.
var (
	ErrNoDelimiter = errors.New("no <IDS|MSG> delimiter")
	ErrShort       = errors.New("fewer than 5 frames after the delimiter")
	ErrSignature   = errors.New("invalid signature")
	ErrReplay      = errors.New("duplicate signature (replayed message)")
)

// Decode parses the frames of one multipart message received on ch,
// verifying its signature with signer and refusing a replayed signature
// when guard is not nil.
func Decode(ch Channel, frames [][]byte, signer *Signer, guard *ReplayGuard) (*Message, error) {
	d := -1
	for i, f := range frames {
		if bytes.Equal(f, []byte(Delimiter)) {
			d = i
			break
		}
	}
	if d < 0 {
		return nil, fmt.Errorf("%s message of %d frames: %w", ch, len(frames), ErrNoDelimiter)
	}
	if len(frames)-d-1 < 5 {
		return nil, fmt.Errorf("%s message: %d frames after the delimiter: %w", ch, len(frames)-d-1, ErrShort)
	}
	sig := frames[d+1]
	parts := [4][]byte{frames[d+2], frames[d+3], frames[d+4], frames[d+5]}
	if !signer.Verify(sig, parts) {
		return nil, fmt.Errorf("%s message: %w", ch, ErrSignature)
	}
	if signer.Enabled() && guard != nil && !guard.Check(sig) {
		return nil, fmt.Errorf("%s message: %w", ch, ErrReplay)
	}
	m := &Message{
		Channel:      ch,
		Identities:   frames[:d],
		RawHeader:    json.RawMessage(parts[0]),
		ParentHeader: json.RawMessage(parts[1]),
		Metadata:     json.RawMessage(parts[2]),
		Content:      json.RawMessage(parts[3]),
		Buffers:      frames[d+6:],
	}
	if err := json.Unmarshal(parts[0], &m.Header); err != nil {
		return nil, fmt.Errorf("%s message: decoding header: %w", ch, err)
	}
	if m.Header.MsgType == "" {
		return nil, fmt.Errorf("%s message %s: header without msg_type", ch, m.Header.MsgID)
	}
	if len(bytes.TrimSpace(m.Content)) == 0 {
		m.Content = json.RawMessage("{}")
	}
	return m, nil
}

// Encode returns the frames of a message: identities, delimiter, signature,
// header, parent header, metadata, content and buffers. Nil parent,
// metadata or content encode as {}.
func Encode(identities [][]byte, header Header, parent, metadata json.RawMessage, content any, buffers [][]byte, signer *Signer) ([][]byte, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("encoding %s header: %w", header.MsgType, err)
	}
	var c []byte
	switch x := content.(type) {
	case nil:
		c = []byte("{}")
	case json.RawMessage:
		c = x
	default:
		if c, err = json.Marshal(content); err != nil {
			return nil, fmt.Errorf("encoding %s content: %w", header.MsgType, err)
		}
	}
	if len(parent) == 0 {
		parent = json.RawMessage("{}")
	}
	if len(metadata) == 0 {
		metadata = json.RawMessage("{}")
	}
	parts := [4][]byte{h, parent, metadata, c}
	frames := make([][]byte, 0, len(identities)+6+len(buffers))
	frames = append(frames, identities...)
	frames = append(frames, []byte(Delimiter), []byte(signer.Sign(parts)))
	frames = append(frames, parts[:]...)
	frames = append(frames, buffers...)
	return frames, nil
}
