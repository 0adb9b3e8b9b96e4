package session

import (
	"fmt"
	"go/ast"
	"go/token"
	"reflect"
	"sync"
	"unsafe"

	"github.com/traefik/yaegi/interp"
)

// yaegi v0.16.1 keeps, for the life of an interpreter, things a notebook
// session never reads again; a kernel that evaluates tens of thousands of
// statements would grow without bound (measured: ≈0.6 KB per evaluated
// statement). retainer reaches the unexported fields involved through
// reflection and trims them between evaluations:
//
//   - Interpreter.roots, the AST root of every evaluated source, read only
//     by yaegi's debugger (interp/debugger.go), which the session never uses.
//   - scope.child, the list of every scope pushed below a scope: appended
//     by scope.push (interp/scope.go) and read nowhere in v0.16.1. Through it
//     the package scope "main" keeps the scope, symbol map and compiled
//     nodes of every evaluated statement.
//   - the global frame slots of a statement's temporaries. Statements run
//     in the global scope, so every intermediate value (the result of
//     `v * 2`, a loop counter) gets a slot of the global frame
//     (universe.types, frame.data) for good; resizeFrame also copies the
//     whole frame each time it grows. After a statement that declares no
//     global and creates no closure, no compiled code can reach its slots
//     again, so they are handed back (see slotsReusable).
//
// Every access checks the field exists with the expected kind; if yaegi's
// layout differs, the trimming is skipped and the session works as before.
type retainer struct {
	roots    reflect.Value // []*node
	universe reflect.Value // *scope
	scopes   reflect.Value // map[string]*scope
	frame    reflect.Value // *frame
	ok       bool          // universe, scopes and frame have the expected shape
}

// settable returns v's field name as a settable value, or an invalid Value.
func settable(v reflect.Value, name string) reflect.Value {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	f := v.FieldByName(name)
	if !f.IsValid() {
		return f
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

func newRetainer(in *interp.Interpreter) *retainer {
	v := reflect.ValueOf(in).Elem()
	r := &retainer{
		roots:    settable(v, "roots"),
		universe: settable(v, "universe"),
		scopes:   settable(v, "scopes"),
		frame:    settable(v, "frame"),
	}
	if r.roots.Kind() != reflect.Slice {
		r.roots = reflect.Value{}
	}
	r.ok = r.universe.Kind() == reflect.Pointer && r.scopes.Kind() == reflect.Map && r.frame.Kind() == reflect.Pointer
	if r.ok {
		sc := r.universe.Elem()
		mu := settable(r.frame.Elem(), "mutex")
		r.ok = settable(sc, "child").Kind() == reflect.Slice && settable(sc, "types").Kind() == reflect.Slice &&
			settable(r.frame.Elem(), "data").Kind() == reflect.Slice && mu.IsValid() && mu.Type() == reflect.TypeFor[sync.RWMutex]()
	}
	return r
}

// afterEval drops what the evaluation just finished left behind: the AST
// roots and the child scope lists.
func (r *retainer) afterEval() {
	if r.roots.IsValid() {
		r.roots.SetZero()
	}
	if !r.ok {
		return
	}
	settable(r.universe.Elem(), "child").SetZero()
	it := r.scopes.MapRange()
	for it.Next() {
		if sc := it.Value(); !sc.IsNil() {
			settable(sc.Elem(), "child").SetZero()
		}
	}
}

// slots returns the size of the global frame layout.
func (r *retainer) slots() int {
	if !r.ok {
		return -1
	}
	return settable(r.universe.Elem(), "types").Len()
}

// release shrinks the global frame back to n slots: the layout of the
// universe and of package main (which share it, interp/scope.go push/pop)
// and the frame's values, which are cleared so the values they held can be
// collected. resizeFrame gives the next evaluation fresh values for the
// slots it takes again.
func (r *retainer) release(n int) {
	if !r.ok || n < 0 {
		return
	}
	types := settable(r.universe.Elem(), "types")
	if types.Len() <= n {
		return
	}
	types.SetLen(n)
	if main := r.scopes.MapIndex(reflect.ValueOf("main")); main.IsValid() && !main.IsNil() {
		if mt := settable(main.Elem(), "types"); mt.Len() > n {
			mt.SetLen(n)
		}
	}
	fr := r.frame.Elem()
	mu := settable(fr, "mutex").Addr().Interface().(*sync.RWMutex)
	mu.Lock()
	defer mu.Unlock()
	data := settable(fr, "data")
	for i := n; i < data.Len(); i++ {
		data.Index(i).SetZero()
	}
	if data.Len() > n {
		data.SetLen(n)
	}
}

// slotsReusable reports whether the global frame slots a statement chunk
// takes are dead once it has run, so they can be released: the chunk
// declares nothing at its top level (a := there, var, const or type
// defines a global that later cells use) and contains no function literal,
// go or defer statement (a closure would keep reading its slots through
// the global frame after the chunk ends) and no label.
func slotsReusable(c *Chunk) bool {
	if c.Kind != Stmts {
		return false
	}
	body := c.File.Decls[len(c.File.Decls)-1].(*ast.FuncDecl).Body
	for _, st := range body.List {
		if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			return false
		}
	}
	ok := true
	ast.Inspect(body, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit, *ast.GoStmt, *ast.DeferStmt, *ast.DeclStmt, *ast.LabeledStmt:
			ok = false
		}
		return ok
	})
	return ok
}

// symbol returns the symbol of package main's name as a settable struct
// value, or an invalid Value.
func (r *retainer) symbol(name string) reflect.Value {
	if !r.ok {
		return reflect.Value{}
	}
	main := r.scopes.MapIndex(reflect.ValueOf("main"))
	if !main.IsValid() || main.IsNil() {
		return reflect.Value{}
	}
	syms := settable(main.Elem(), "sym")
	if syms.Kind() != reflect.Map {
		return reflect.Value{}
	}
	sym := syms.MapIndex(reflect.ValueOf(name))
	if !sym.IsValid() || sym.Kind() != reflect.Pointer || sym.IsNil() {
		return reflect.Value{}
	}
	return reflect.NewAt(sym.Elem().Type(), unsafe.Pointer(sym.Pointer())).Elem()
}

// globalVar returns the frame slot and its type of package main's variable
// name, or -1.
func (r *retainer) globalVar(name string) (int, reflect.Type) {
	sym := r.symbol(name)
	if !sym.IsValid() {
		return -1, nil
	}
	index, kind, global := settable(sym, "index"), settable(sym, "kind"), settable(sym, "global")
	if index.Kind() != reflect.Int || !kind.IsValid() || global.Kind() != reflect.Bool || !global.Bool() ||
		fmt.Sprint(kind.Interface()) != "varSym" {
		return -1, nil
	}
	i := int(index.Int())
	types := settable(r.universe.Elem(), "types")
	if i < 0 || i >= types.Len() {
		return -1, nil
	}
	t, _ := types.Index(i).Interface().(reflect.Type)
	return i, t
}

// redefinition prepares for a statement chunk that only redefines
// existing globals with := (`v := f(v)` re-run, or a cell loading a
// dataset again). yaegi gives each such definition a new global slot for
// good and leaves the old value in the old one. When the new value has the
// same type, the variable goes back to its old slot holding the new value
// and every slot the statement took is released: the frame does not grow
// and the old value can be collected. Functions compiled earlier read the
// variable through its old slot, so they now see the new value, as the
// variable would in Go (before, they kept the old one). It returns what
// to call after the chunk ran to its end, or nil when the chunk is not
// such a redefinition.
func (r *retainer) redefinition(c *Chunk) func() {
	if !r.ok || c.Kind != Stmts {
		return nil
	}
	body := c.File.Decls[len(c.File.Decls)-1].(*ast.FuncDecl).Body
	if len(body.List) != 1 {
		return nil
	}
	as, ok := body.List[0].(*ast.AssignStmt)
	if !ok || as.Tok != token.DEFINE {
		return nil
	}
	clean := true
	ast.Inspect(as, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit, *ast.GoStmt, *ast.DeferStmt, *ast.DeclStmt, *ast.LabeledStmt:
			clean = false
		}
		return clean
	})
	if !clean {
		return nil
	}
	type old struct {
		name  string
		index int
		typ   reflect.Type
	}
	var olds []old
	for _, l := range as.Lhs {
		id, ok := l.(*ast.Ident)
		if !ok {
			return nil
		}
		if id.Name == "_" {
			continue
		}
		i, t := r.globalVar(id.Name)
		if i < 0 {
			return nil
		}
		olds = append(olds, old{id.Name, i, t})
	}
	if len(olds) == 0 {
		return nil
	}
	n := r.slots()
	return func() {
		news := make([]int, len(olds))
		for k, o := range olds {
			i, t := r.globalVar(o.name)
			if i < n || t != o.typ {
				return
			}
			news[k] = i
		}
		data := settable(r.frame.Elem(), "data")
		mu := settable(r.frame.Elem(), "mutex").Addr().Interface().(*sync.RWMutex)
		mu.Lock()
		for k := range olds {
			if news[k] >= data.Len() {
				mu.Unlock()
				return
			}
		}
		for k, o := range olds {
			data.Index(o.index).Set(data.Index(news[k]))
			settable(r.symbol(o.name), "index").SetInt(int64(o.index))
		}
		mu.Unlock()
		r.release(n)
	}
}
