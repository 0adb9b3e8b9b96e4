package session

import (
	"fmt"
	"go/ast"
	"go/token"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// edit replaces Padded[start:end] with text (an insertion when start==end).
type edit struct {
	start, end int
	text       string
	order      int // among edits at the same offset, lower first
}

// rewrite makes a chunk safe and runnable on yaegi v0.16.1:
//
//   - every `go f(args)` becomes `go func() { defer <recover>; f(args) }()`,
//     so that a panic in a goroutine the cell starts is reported instead of
//     killing the kernel (an unrecovered goroutine panic ends the process,
//     go-jupyter-kernels.md §3.1). Arguments without function literals are
//     evaluated before the go statement, as Go does, through fresh variables;
//     literals stay in place so untyped constants keep their type.
//   - the functions of the chunk that may call themselves (recursiveBodies)
//     count their nesting and panic past MaxCallDepth: Go cannot recover
//     from the stack overflow of unbounded recursion.
//   - `for … range n` with n an evident integer (a literal, len/cap, an
//     integer conversion, arithmetic of those, or an integer global) becomes
//     a range over make([]struct{}, n): yaegi v0.16.1 panics ("nil type") on
//     Go 1.22 range-over-int.
//
// intGlobal reports whether an identifier names a global integer variable.
// It returns the rewritten padded text and an error for constructs that
// cannot run on yaegi (range over a function literal).
//
// imported reports whether an import (name, path) is already in effect:
// yaegi refuses a second identical import ("redeclared in this block"), which
// would break re-running a cell, so such imports are blanked out.
func rewrite(c *Chunk, intGlobal func(name string) bool, imported func(name, path string) bool) (string, error) {
	var edits []edit
	off := func(p token.Pos) int { return c.Fset.Position(p).Offset - c.Start }
	src := c.Padded
	text := func(n ast.Node) string { return src[off(n.Pos()):off(n.End())] }
	var unsupported error
	// Integer variables the chunk itself defines (n := 10, var n = len(x))
	// count as evident integers too.
	local := map[string]bool{}
	ast.Inspect(c.File, func(n ast.Node) bool {
		switch d := n.(type) {
		case *ast.AssignStmt:
			if d.Tok == token.DEFINE && len(d.Lhs) == len(d.Rhs) {
				for i, l := range d.Lhs {
					if id, ok := l.(*ast.Ident); ok && isIntExpr(d.Rhs[i], func(n string) bool { return local[n] || intGlobal != nil && intGlobal(n) }) {
						local[id.Name] = true
					}
				}
			}
		case *ast.ValueSpec:
			isInt := d.Type != nil && intConversions[fmt.Sprint(d.Type)] && fmt.Sprint(d.Type) != "len" && fmt.Sprint(d.Type) != "cap"
			for i, id := range d.Names {
				if isInt || d.Type == nil && i < len(d.Values) && isIntExpr(d.Values[i], func(n string) bool { return local[n] }) {
					local[id.Name] = true
				}
			}
		}
		return true
	})
	isInt := func(name string) bool { return local[name] || intGlobal != nil && intGlobal(name) }
	recursive := recursiveBodies(c.File)
	guard := func(body *ast.BlockStmt) {
		if recursive[body] {
			// On the brace's line, so that line numbers stay the cell's.
			edits = append(edits, edit{start: off(body.Lbrace) + 1, end: off(body.Lbrace) + 1,
				text: " " + rtName + ".Enter(); defer " + rtName + ".Leave();"})
		}
	}
	ast.Inspect(c.File, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.FuncDecl:
			if s.Body != nil {
				guard(s.Body)
			}
		case *ast.FuncLit:
			guard(s.Body)
		case *ast.GenDecl:
			if s.Tok != token.IMPORT || imported == nil {
				return false
			}
			all := true
			var blank []ast.Spec
			for _, sp := range s.Specs {
				is := sp.(*ast.ImportSpec)
				path, _ := strconv.Unquote(is.Path.Value)
				name := packageName(path)
				if is.Name != nil {
					name = is.Name.Name
				}
				if name != "_" && imported(name, path) {
					blank = append(blank, sp)
				} else {
					all = false
				}
			}
			if all && len(blank) > 0 {
				blank = []ast.Spec{nil}
			}
			for _, sp := range blank {
				var start, end int
				if sp == nil {
					start, end = off(s.Pos()), off(s.End())
				} else {
					start, end = off(sp.Pos()), off(sp.End())
				}
				edits = append(edits, edit{start: start, end: end, text: blankOut(src[start:end])})
			}
			return false
		case *ast.GoStmt:
			call := s.Call
			var hoisted, values []string
			for i, a := range call.Args {
				if !needsHoist(a) {
					continue
				}
				name := fmt.Sprintf("__psa%d_%d", off(s.Pos()), i)
				hoisted = append(hoisted, name)
				values = append(values, text(a))
				edits = append(edits, edit{start: off(a.Pos()), end: off(a.End()), text: name})
			}
			if len(hoisted) > 0 {
				pre := strings.Join(hoisted, ", ") + " := " + strings.Join(values, ", ") + "; "
				// Keep the line count: the argument text moved up, so its
				// newlines are now before the go keyword.
				edits = append(edits, edit{start: off(s.Pos()), end: off(s.Pos()), text: pre, order: -1})
			}
			edits = append(edits,
				edit{start: off(call.Pos()), end: off(call.Pos()), text: "func() { defer func() { if r := recover(); r != nil { " + rtName + ".GoPanic(r) } }(); ", order: -1},
				edit{start: off(call.End()), end: off(call.End()), text: " }()", order: 1})
		case *ast.RangeStmt:
			if _, ok := s.X.(*ast.FuncLit); ok && unsupported == nil {
				p := c.Fset.Position(s.Pos())
				unsupported = &Error{Name: "Unsupported", Value: fmt.Sprintf(
					"line %d: range over a function (Go 1.23 iterators) is not supported by the interpreter (yaegi v0.16.1); call the function with a yield callback instead", p.Line)}
			}
			if isIntExpr(s.X, isInt) {
				edits = append(edits,
					edit{start: off(s.X.Pos()), end: off(s.X.Pos()), text: "make([]struct{}, ", order: -1},
					edit{start: off(s.X.End()), end: off(s.X.End()), text: ")", order: 1})
			}
		}
		return true
	})
	if unsupported != nil {
		return "", unsupported
	}
	if len(edits) == 0 {
		return src, nil
	}
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].start != edits[j].start {
			return edits[i].start < edits[j].start
		}
		return edits[i].order < edits[j].order
	})
	var b strings.Builder
	last := 0
	for _, e := range edits {
		if e.start < last {
			continue // overlapping (nested) replacement: the outer one wins
		}
		b.WriteString(src[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.WriteString(src[last:])
	out := b.String()
	// Restore the line count so later lines keep their cell numbers.
	if d := strings.Count(src, "\n") - strings.Count(out, "\n"); d > 0 {
		out += strings.Repeat("\n", d)
	}
	return out, nil
}

// blankOut replaces every character but newlines with spaces.
func blankOut(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		return ' '
	}, s)
}

// needsHoist reports whether a go statement argument should be evaluated
// before the goroutine starts: anything but literals, nil/true/false and
// expressions holding function literals.
func needsHoist(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return false
	case *ast.Ident:
		return x.Name != "nil" && x.Name != "true" && x.Name != "false"
	}
	has := false
	ast.Inspect(e, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			has = true
		}
		return !has
	})
	return !has
}

var intConversions = map[string]bool{
	"int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "uintptr": true,
	"len": true, "cap": true,
}

// isIntExpr reports whether e is evidently an integer expression.
func isIntExpr(e ast.Expr, intGlobal func(string) bool) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return x.Kind == token.INT
	case *ast.ParenExpr:
		return isIntExpr(x.X, intGlobal)
	case *ast.CallExpr:
		id, ok := x.Fun.(*ast.Ident)
		return ok && intConversions[id.Name]
	case *ast.BinaryExpr:
		switch x.Op {
		case token.ADD, token.SUB, token.MUL, token.QUO, token.REM, token.SHL, token.SHR, token.AND, token.OR, token.XOR:
			return isIntExpr(x.X, intGlobal) || isIntExpr(x.Y, intGlobal)
		}
	case *ast.UnaryExpr:
		return x.Op == token.SUB && isIntExpr(x.X, intGlobal)
	case *ast.Ident:
		return intGlobal != nil && intGlobal(x.Name)
	}
	return false
}

// isIntKind reports whether k is an integer kind.
func isIntKind(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Uintptr
}
