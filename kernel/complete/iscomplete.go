package complete

import (
	"go/scanner"
	"go/token"
	"strings"

	"github.com/peerscope/peerscope/kernel/session"
)

// IsComplete classifies code for is_complete_request: "incomplete" when
// brackets are open, a raw string or comment is unterminated or the last
// line ends in an operator or comma (with the indent to continue with: four
// spaces per open bracket, which consoles show better than a tab),
// "invalid" when it cannot parse, else "complete".
func IsComplete(code string) (status, indent string) {
	if strings.TrimSpace(code) == "" {
		return "complete", ""
	}
	fset := token.NewFileSet()
	file := fset.AddFile("cell.go", -1, len(code))
	var s scanner.Scanner
	unterminated := false
	s.Init(file, []byte(code), func(pos token.Position, msg string) {
		if strings.Contains(msg, "not terminated") {
			unterminated = true
		}
	}, scanner.ScanComments)
	depth := 0
	var last token.Token
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			depth--
		}
		if tok == token.SEMICOLON && lit == "\n" || tok == token.COMMENT {
			continue
		}
		last = tok
	}
	if depth < 0 {
		return "invalid", ""
	}
	if unterminated {
		return "incomplete", ""
	}
	if depth > 0 || continues(last) {
		return "incomplete", strings.Repeat("    ", max(depth, 1))
	}
	if _, err := session.Split(code); err != nil {
		return "invalid", ""
	}
	return "complete", ""
}

// continues reports whether a line ending in tok needs another line.
func continues(tok token.Token) bool {
	switch tok {
	case token.COMMA, token.PERIOD, token.ASSIGN, token.DEFINE, token.LAND, token.LOR,
		token.ADD, token.SUB, token.MUL, token.QUO, token.REM, token.AND, token.OR, token.XOR,
		token.SHL, token.SHR, token.AND_NOT, token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ,
		token.ARROW, token.COLON:
		return true
	}
	return false
}
