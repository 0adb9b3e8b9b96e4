package session

import (
	"fmt"
	"go/ast"
	"runtime"
	"sync/atomic"
)

// MaxCallDepth is the default bound (Options.MaxCallDepth) of the nesting of calls to the recursive functions of
// cells. Unbounded recursion would otherwise overflow the goroutine's stack,
// which Go cannot recover from: the kernel would die with the session's
// state. An interpreted call takes ≈1–1.6 KB of native stack in yaegi
// v0.16.1 (measured: 600,000 levels of a one-line recursive function fit
// in Go's 1 GB stack, 1,000,000 do not), so the bound leaves a wide margin
// while allowing recursion far deeper than notebooks need.
const MaxCallDepth = 100_000

// depthGuard counts the calls in progress of guarded (possibly recursive)
// functions, in all goroutines together: the count of one goroutine cannot
// be told apart from inside interpreted code.
type depthGuard struct {
	max     int64
	depth   atomic.Int64
	tripped atomic.Bool // a call went past MaxCallDepth since the session looked
}

// message is the error of a cell that went past the bound.
func (g *depthGuard) message() string {
	return fmt.Sprintf("stack overflow: calls of recursive functions nested deeper than %d (unbounded recursion?); the kernel stopped the cell instead of crashing", g.max)
}

// enter is called on entry to every guarded function; a deferred leave
// undoes it. Past the bound it ends the goroutine with runtime.Goexit
// rather than a panic: yaegi recovers and re-panics a panic in every
// interpreted frame it crosses, which costs time quadratic in the depth
// (measured: 0.6 s through 2,000 frames, 7.4 s through 8,000), while
// Goexit runs the deferred calls of each frame once. The cell's Execute
// then reports message (see tripped).
func (g *depthGuard) enter() {
	if g.depth.Add(1) > g.max {
		g.depth.Add(-1)
		g.tripped.Store(true)
		runtime.Goexit()
	}
}

func (g *depthGuard) leave() { g.depth.Add(-1) }

// recursiveBodies returns the bodies of the functions of f that may call
// themselves: functions and methods declared in f, and function literals
// assigned to a variable, that reach themselves through the names their
// bodies mention (a call, or a function value passed on). A method is
// known by its name alone, so a call through an interface counts. Only
// these get the depth guard (it costs about half the time of a tiny
// function's call). Recursion through function values the bodies do not
// name, or through functions of other cells calling back, is not seen;
// functions of earlier cells cannot call ones declared later anyway.
func recursiveBodies(f *ast.File) map[*ast.BlockStmt]bool {
	type unit struct {
		name  string
		body  *ast.BlockStmt
		names map[string]bool
	}
	var units []*unit
	add := func(name string, body *ast.BlockStmt) {
		if body == nil || name == "" || name == "_" {
			return
		}
		u := &unit{name: name, body: body, names: map[string]bool{}}
		ast.Inspect(body, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				u.names[id.Name] = true
			}
			return true
		})
		units = append(units, u)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch d := n.(type) {
		case *ast.FuncDecl:
			add(d.Name.Name, d.Body)
		case *ast.AssignStmt:
			for i, r := range d.Rhs {
				if lit, ok := r.(*ast.FuncLit); ok && i < len(d.Lhs) {
					if id, ok := d.Lhs[i].(*ast.Ident); ok {
						add(id.Name, lit.Body)
					}
				}
			}
		case *ast.ValueSpec:
			for i, v := range d.Values {
				if lit, ok := v.(*ast.FuncLit); ok && i < len(d.Names) {
					add(d.Names[i].Name, lit.Body)
				}
			}
		}
		return true
	})
	out := map[*ast.BlockStmt]bool{}
	for _, start := range units {
		// Depth-first search from start's callees for start itself.
		seen := map[*unit]bool{}
		stack := []*unit{start}
		for len(stack) > 0 && !out[start.body] {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, v := range units {
				if !u.names[v.name] {
					continue
				}
				if v == start {
					out[start.body] = true
					break
				}
				if !seen[v] {
					seen[v] = true
					stack = append(stack, v)
				}
			}
		}
	}
	return out
}
