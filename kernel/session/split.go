package session

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"
)

// Kind is the kind of a chunk of a cell.
type Kind int

// Chunk kinds. yaegi evaluates a source either as a file (imports and
// declarations) or as statements, never both (traefik/yaegi#1245), so a cell
// is cut into runs of each.
const (
	Decls Kind = iota // imports, func, type, var, const
	Stmts             // statements, evaluated as the body of a function
)

func (k Kind) String() string {
	if k == Decls {
		return "declarations"
	}
	return "statements"
}

// Prefixes yaegi puts in front of a source it evaluates (interp/ast.go): a
// file gets "package main;", statements "package main; func main() {".
// They sit on line 1, so only columns on line 1 need correcting.
const (
	declPrefix = "package main;"
	stmtPrefix = "package main; func main() {"
)

// Chunk is a run of top-level units of one kind, cut from a cell.
type Chunk struct {
	Kind Kind
	// Line is the 1-based cell line the chunk starts on.
	Line int
	// Text is the chunk's source as written in the cell.
	Text string
	// Padded is Text preceded by newlines and spaces so that positions
	// yaegi reports are cell positions (line L, column C of the cell).
	Padded string
	// Trailing is the cell's last statement when it is an expression whose
	// value becomes Out[n] (only on the last chunk).
	Trailing ast.Expr
	// File is the chunk parsed as yaegi will see it (with the prefix).
	File *ast.File
	Fset *token.FileSet
	// Start is the byte offset in File's source at which Padded begins.
	Start int
}

// SyntaxError is a cell that does not parse, with its cell position.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d:%d: %s", e.Line, e.Col, e.Msg)
}

// unit is one top-level declaration or statement of a cell.
type unit struct {
	kind       Kind
	isImport   bool
	start, end int // byte offsets in the cell
}

// Split cuts a cell into chunks of declarations and statements, in order,
// each parsed and positioned so that errors point at cell lines. A cell that
// does not parse returns a *SyntaxError and no chunks.
func Split(code string) ([]Chunk, error) {
	units, err := units(code)
	if err != nil {
		return nil, err
	}
	var chunks []Chunk
	for i := 0; i < len(units); {
		j := i + 1
		// Declarations are grouped into one file; each top-level statement
		// is a chunk of its own, so that a run-time panic (which yaegi
		// v0.16.1 reports without a usable position) is known to come
		// from that statement's line.
		for j < len(units) && units[i].kind == Decls && units[j].kind == Decls &&
			// An import after another declaration starts a new file.
			!(units[j].isImport && !units[j-1].isImport) {
			j++
		}
		c, err := makeChunk(code, units[i].kind, units[i].start, units[j-1].end)
		if err != nil {
			return nil, err
		}
		chunks = append(chunks, c)
		i = j
	}
	if n := len(chunks); n > 0 && chunks[n-1].Kind == Stmts {
		c := &chunks[n-1]
		body := c.File.Decls[len(c.File.Decls)-1].(*ast.FuncDecl).Body.List
		if len(body) > 0 {
			if es, ok := body[len(body)-1].(*ast.ExprStmt); ok {
				c.Trailing = es.X
			}
		}
	}
	return chunks, nil
}

// position returns the 1-based line and column of byte offset off in code.
func position(code string, off int) (line, col int) {
	line = 1 + strings.Count(code[:off], "\n")
	col = off - strings.LastIndex(code[:off], "\n")
	return line, col
}

func makeChunk(code string, kind Kind, start, end int) (Chunk, error) {
	line, col := position(code, start)
	text := code[start:end]
	padded := strings.Repeat("\n", line-1) + strings.Repeat(" ", col-1) + text
	prefix, suffix := declPrefix, ""
	if kind == Stmts {
		prefix, suffix = stmtPrefix, "\n}"
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell.go", prefix+padded+suffix, parser.SkipObjectResolution|parser.ParseComments)
	if err != nil {
		return Chunk{}, syntaxError(err, len(prefix))
	}
	return Chunk{Kind: kind, Line: line, Text: text, Padded: padded, File: f, Fset: fset, Start: len(prefix)}, nil
}

// syntaxError converts a go/parser error into cell coordinates: columns on
// line 1 lose the prefix yaegi (and we) put there.
func syntaxError(err error, prefixLen int) error {
	if el, ok := err.(scanner.ErrorList); ok && len(el) > 0 {
		e := el[0]
		col := e.Pos.Column
		if e.Pos.Line == 1 {
			col -= prefixLen
		}
		return &SyntaxError{Line: e.Pos.Line, Col: max(col, 1), Msg: e.Msg}
	}
	return &SyntaxError{Line: 1, Col: 1, Msg: err.Error()}
}

// units scans the cell and returns its top-level units. A unit ends at a
// semicolon (explicit or inserted at a newline) outside any bracket.
func units(code string) ([]unit, error) {
	fset := token.NewFileSet()
	file := fset.AddFile("cell.go", -1, len(code))
	var s scanner.Scanner
	var scanErr error
	s.Init(file, []byte(code), func(pos token.Position, msg string) {
		if scanErr == nil {
			scanErr = &SyntaxError{Line: pos.Line, Col: pos.Column, Msg: msg}
		}
	}, scanner.ScanComments)
	var toks []tok
	// commentBefore[i] is the offset of the first comment directly before
	// token i with no token in between, or -1: a doc comment belongs to the
	// declaration it precedes.
	var commentBefore []int
	pending := -1
	for {
		pos, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		if t == token.COMMENT {
			if pending < 0 {
				pending = file.Offset(pos)
			}
			continue
		}
		if t == token.SEMICOLON && lit == "\n" {
			// A newline ends a comment block only when a token preceded.
			toks = append(toks, tok{t, file.Offset(pos), lit})
			commentBefore = append(commentBefore, -1)
			continue
		}
		toks = append(toks, tok{t, file.Offset(pos), lit})
		commentBefore = append(commentBefore, pending)
		pending = -1
	}
	if scanErr != nil {
		return nil, scanErr
	}
	var out []unit
	depth := 0
	start := -1 // index in toks of the current unit's first token
	flush := func(endTok int, endOff int) {
		if start < 0 {
			return
		}
		u := classify(toks[start:endTok], toks[start].off, endOff)
		if c := commentBefore[start]; c >= 0 {
			u.start = c
		}
		out = append(out, u)
		start = -1
	}
	// header is set between for/if/switch and the opening brace of its
	// body: the semicolons of "for i := 0; i < n; i++ {" do not end a unit.
	header := false
	for i, tk := range toks {
		switch tk.t {
		case token.FOR, token.IF, token.SWITCH:
			if depth == 0 {
				header = true
			}
		case token.LBRACE:
			if depth == 0 {
				header = false
			}
		}
		switch tk.t {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		if tk.t == token.SEMICOLON && depth <= 0 && !(header && tk.lit == ";") {
			flush(i, tk.off)
			continue
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(toks), len(code))
	// Trim trailing blanks of each unit (an inserted semicolon at EOF sits
	// past the text).
	for i := range out {
		out[i].end = out[i].start + len(strings.TrimRight(code[out[i].start:out[i].end], " \t\r\n"))
	}
	return out, nil
}

// tok is one scanned token: its kind and byte offset.
type tok struct {
	t   token.Token
	off int
	lit string
}

// classify tells a declaration from a statement by its first tokens: import,
// type, const, var, func Name and func (recv) Name( are declarations.
func classify(toks []tok, start, end int) unit {
	u := unit{kind: Stmts, start: start, end: end}
	switch toks[0].t {
	case token.IMPORT:
		u.kind, u.isImport = Decls, true
	case token.TYPE, token.CONST, token.VAR:
		u.kind = Decls
	case token.FUNC:
		if len(toks) > 1 && toks[1].t == token.IDENT {
			u.kind = Decls
		} else if len(toks) > 1 && toks[1].t == token.LPAREN {
			// func (recv) Name(  is a method; func(…) … is a literal.
			depth := 0
			for k := 1; k < len(toks); k++ {
				switch toks[k].t {
				case token.LPAREN:
					depth++
				case token.RPAREN:
					depth--
				}
				if depth == 0 {
					if k+2 < len(toks) && toks[k+1].t == token.IDENT && toks[k+2].t == token.LPAREN {
						u.kind = Decls
					}
					break
				}
			}
		}
	}
	return u
}
