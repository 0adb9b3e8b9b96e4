package session

import (
	"context"
	"reflect"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/traefik/yaegi/interp"
)

// yaegi v0.16.1's ExecuteWithContext returns as soon as its context is
// cancelled and tells the running code to stop (Interpreter.stop: the run
// id changes). Top-level statements run in the global frame, and the next
// Execute resets that frame's run id to the current one: if the stopped
// code has not yet looked at its run id by then (it was descheduled, or in
// a compiled call such as time.Sleep), it goes on running next to the new
// cell — an interrupted allocation loop kept allocating (measured: 40 GB
// of heap within seconds). runner executes a program on a goroutine of
// its own, so that after an interrupt it knows when the code has really
// stopped, and the next cell waits until it has.
type runner struct {
	in         *interp.Interpreter
	id         *uint64
	mutex      *sync.RWMutex
	done       reflect.Value // chan struct{}: closed to stop channel operations
	cancelChan reflect.Value // bool
	fastChan   bool
	ok         bool // yaegi's fields have the expected shape

	// running is closed when the last interrupted execution has
	// returned; nil when none is pending.
	running chan struct{}
}

// stopWait is how long an interrupt waits for the code to stop before the
// cell returns; code still in a compiled call is waited for by the next
// cell.
const stopWait = time.Second

func newRunner(in *interp.Interpreter) *runner {
	v := reflect.ValueOf(in).Elem()
	r := &runner{in: in}
	id, mu := settable(v, "id"), settable(v, "mutex")
	r.done, r.cancelChan = settable(v, "done"), settable(v, "cancelChan")
	fast := settable(settable(v, "opt"), "fastChan")
	r.ok = id.Kind() == reflect.Uint64 && mu.IsValid() && mu.Type() == reflect.TypeFor[sync.RWMutex]() &&
		r.done.IsValid() && r.done.Type() == reflect.TypeFor[chan struct{}]() &&
		r.cancelChan.Kind() == reflect.Bool && fast.Kind() == reflect.Bool
	if r.ok {
		r.id = (*uint64)(unsafe.Pointer(id.UnsafeAddr()))
		r.mutex = mu.Addr().Interface().(*sync.RWMutex)
		r.fastChan = fast.Bool()
	}
	return r
}

// wait blocks until an interrupted execution has returned, or ctx ends.
// warn is told once if it has to wait.
func (r *runner) wait(ctx context.Context, warn func()) error {
	if r.running == nil {
		return nil
	}
	select {
	case <-r.running:
	default:
		warn()
		select {
		case <-r.running:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.running = nil
	return nil
}

// execute runs prog as ExecuteWithContext does, but when ctx ends it waits
// (up to stopWait) for the code to stop, and leaves it for wait if it has
// not.
func (r *runner) execute(ctx context.Context, prog *interp.Program) (reflect.Value, error) {
	if !r.ok {
		return r.in.ExecuteWithContext(ctx, prog)
	}
	// What ExecuteWithContext prepares: a fresh channel that stop closes,
	// and cancellable channel operations.
	r.mutex.Lock()
	r.done.Set(reflect.ValueOf(make(chan struct{})))
	r.cancelChan.SetBool(!r.fastChan)
	r.mutex.Unlock()

	var res reflect.Value
	var err error
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer func() {
			if p := recover(); p != nil {
				var pc [64]uintptr
				n := runtime.Callers(1, pc[:])
				err = interp.Panic{Value: p, Callers: pc[:n], Stack: debug.Stack()}
			}
		}()
		res, err = r.in.Execute(prog)
	}()
	select {
	case <-finished:
		return res, err
	case <-ctx.Done():
	}
	// Interpreter.stop.
	atomic.AddUint64(r.id, 1)
	r.mutex.RLock()
	r.done.Close()
	r.mutex.RUnlock()
	select {
	case <-finished:
	case <-time.After(stopWait):
		r.running = finished
	}
	return reflect.Value{}, ctx.Err()
}

// waitNote is written on the cell's stderr when it waits for an
// interrupted one.
const waitNote = "note: waiting for the interrupted cell to stop: it is inside a compiled call (it stops when the call returns; interrupt this cell to give up, or restart the kernel)\n"
