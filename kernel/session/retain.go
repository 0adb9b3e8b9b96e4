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

// globalDefines returns the names a statement chunk defines as globals of
// package main. yaegi's global type analysis (interp/gta.go) registers
// every := it meets outside a nested block as a global with a slot of its
// own: those at the top of the statement, and those in the init of a for,
// if or switch, a type switch's guard and a select case's receive (at the
// top of a cell, `for i := 0; …` leaves a global i). Ranges, case bodies
// and blocks define locals. ok is false when the chunk holds what keeps
// slots reachable after it ends: a function literal, go or defer statement
// (a closure reads its variables through the global frame), a declaration
// or a label.
func globalDefines(c *Chunk) (names []string, ok bool) {
	if c.Kind != Stmts {
		return nil, false
	}
	body := c.File.Decls[len(c.File.Decls)-1].(*ast.FuncDecl).Body
	ok = true
	ast.Inspect(body, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit, *ast.GoStmt, *ast.DeferStmt, *ast.DeclStmt, *ast.LabeledStmt:
			ok = false
		}
		return ok
	})
	if !ok {
		return nil, false
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BlockStmt:
			return x == body
		case *ast.CaseClause:
			// The body's := are locals.
			return false
		case *ast.CommClause:
			if x.Comm != nil {
				ast.Inspect(x.Comm, func(m ast.Node) bool {
					if as, def := m.(*ast.AssignStmt); def && as.Tok == token.DEFINE {
						names = append(names, identNames(as.Lhs)...)
					}
					return true
				})
			}
			return false
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE {
				names = append(names, identNames(x.Lhs)...)
			}
		}
		return true
	})
	return names, ok
}

func identNames(es []ast.Expr) []string {
	var out []string
	for _, e := range es {
		if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
			out = append(out, id.Name)
		}
	}
	return out
}

// slotsReusable reports whether the global frame slots a statement chunk
// takes are dead once it has run, so they can be released: it defines no
// global and nothing in it can reach its slots afterwards (globalDefines).
func slotsReusable(c *Chunk) bool {
	names, ok := globalDefines(c)
	return ok && len(names) == 0
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

// redefinition prepares for a statement chunk whose globals (see
// globalDefines) all exist already: a re-run of `v := f(v)`, of a cell
// loading a dataset, of `for i := 0; …`. yaegi gives each such definition
// a new global slot for good and leaves the old value in the old one. When
// the new values have the same types, the variables go back to their old
// slots holding the new values and every slot the statement took is
// released: the frame does not grow and old values can be collected.
// Functions compiled earlier read a variable through its old slot, so they
// now see the new value, as they would in Go (before, they kept the old
// one). It returns what to call after the chunk ran to its end, or nil
// when the chunk is not such a redefinition.
func (r *retainer) redefinition(c *Chunk) func() {
	if !r.ok {
		return nil
	}
	names, ok := globalDefines(c)
	if !ok || len(names) == 0 {
		return nil
	}
	type old struct {
		name  string
		index int
		typ   reflect.Type
	}
	var olds []old
	for _, name := range names {
		i, t := r.globalVar(name)
		if i < 0 {
			return nil
		}
		olds = append(olds, old{name, i, t})
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
