package comm

import (
	"reflect"
	"sync"
	"testing"
)

type sent struct {
	msgType string
	content map[string]any
	buffers [][]byte
}

type recorder struct {
	mu   sync.Mutex
	msgs []sent
}

func (r *recorder) PublishComm(msgType string, content map[string]any, buffers [][]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, sent{msgType, content, buffers})
	return nil
}

func TestFrontEndOpenedComm(t *testing.T) {
	rec := &recorder{}
	m := NewManager(rec)
	var got []map[string]any
	var closed map[string]any
	m.RegisterTarget("echo", func(c *Comm, data map[string]any, buffers [][]byte) {
		got = append(got, data)
		c.OnMsg(func(data map[string]any, buffers [][]byte) {
			got = append(got, data)
			c.Send(map[string]any{"echo": data["x"]}, buffers...)
		})
		c.OnClose(func(data map[string]any) { closed = data })
	})
	if err := m.HandleOpen("c1", "echo", map[string]any{"init": 1.0}, nil); err != nil {
		t.Fatal(err)
	}
	if info := m.Info(""); !reflect.DeepEqual(info, map[string]any{"c1": map[string]any{"target_name": "echo"}}) {
		t.Errorf("Info = %v", info)
	}
	if info := m.Info("other"); len(info) != 0 {
		t.Errorf("Info(other) = %v", info)
	}
	if err := m.HandleMsg("c1", map[string]any{"x": "hi"}, [][]byte{{1, 2}}); err != nil {
		t.Fatal(err)
	}
	if len(rec.msgs) != 1 || rec.msgs[0].msgType != "comm_msg" || rec.msgs[0].content["data"].(map[string]any)["echo"] != "hi" ||
		len(rec.msgs[0].buffers) != 1 {
		t.Fatalf("sent %+v", rec.msgs)
	}
	if err := m.HandleClose("c1", map[string]any{"bye": true}); err != nil || closed["bye"] != true {
		t.Fatalf("close: %v %v", err, closed)
	}
	if m.Get("c1") != nil {
		t.Error("closed comm still registered")
	}
	if err := m.HandleMsg("c1", nil, nil); err == nil {
		t.Error("message to a closed comm accepted")
	}
}

func TestUnknownTargetIsClosed(t *testing.T) {
	rec := &recorder{}
	m := NewManager(rec)
	if err := m.HandleOpen("c9", "nobody", nil, nil); err == nil {
		t.Error("unknown target accepted")
	}
	if len(rec.msgs) != 1 || rec.msgs[0].msgType != "comm_close" || rec.msgs[0].content["comm_id"] != "c9" {
		t.Errorf("sent %+v", rec.msgs)
	}
}

func TestKernelOpenedComm(t *testing.T) {
	rec := &recorder{}
	m := NewManager(rec)
	c, err := m.Open("jupyter.widget", map[string]any{"state": map[string]any{}}, map[string]any{"version": "2.1.0"}, []byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	open := rec.msgs[0]
	if open.msgType != "comm_open" || open.content["target_name"] != "jupyter.widget" || open.content["comm_id"] != c.ID ||
		open.content["metadata"].(map[string]any)["version"] != "2.1.0" || len(open.buffers) != 1 {
		t.Fatalf("open = %+v", open)
	}
	var fromFront map[string]any
	c.OnMsg(func(data map[string]any, _ [][]byte) { fromFront = data })
	m.HandleMsg(c.ID, map[string]any{"method": "update"}, nil)
	if fromFront["method"] != "update" {
		t.Errorf("OnMsg got %v", fromFront)
	}
	if err := c.Close(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(nil); err != ErrClosed {
		t.Errorf("Send after Close: %v", err)
	}
	if rec.msgs[len(rec.msgs)-1].msgType != "comm_close" {
		t.Error("Close did not send comm_close")
	}
}

func TestHandlerPanicIsAnError(t *testing.T) {
	m := NewManager(&recorder{})
	m.RegisterTarget("bad", func(*Comm, map[string]any, [][]byte) { panic("oops") })
	if err := m.HandleOpen("c", "bad", nil, nil); err == nil {
		t.Error("handler panic not reported")
	}
}
