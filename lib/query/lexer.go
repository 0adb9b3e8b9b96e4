package query

import "strings"

type tokenKind uint8

const (
	tEOF    tokenKind = iota
	tWord             // a field name, "in", or a literal value
	tString           // a "quoted" literal
	tOp               // == != < <= > >=
	tAnd              // &&
	tOr               // ||
	tNot              // !
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
	tBad // a character that starts no token; text says why
)

type token struct {
	kind       tokenKind
	text       string
	start, end int // byte offsets in the source
}

// describe renders a token for "got …" in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tBad:
		return t.text
	}
	text := t.text
	if len(text) > 40 {
		text = text[:37] + "..."
	}
	return "'" + text + "'"
}

// wordStop holds the characters that end a bare word: whitespace and the
// language's punctuation. ':', '/', '.', '-', '+' stay inside words so that
// addresses, CIDRs, timestamps and GUIDs lex as one word.
const wordStop = " \t\r\n()[],!=<>&|\""

// lex reads the token at pos. In value mode (where the parser expects a
// literal) a '[' begins a bracketed IPv6 address such as [::1]:4004 rather
// than a list, and a '"' begins a quoted literal.
func lex(src string, pos int, value bool) token {
	for pos < len(src) && strings.IndexByte(" \t\r\n", src[pos]) >= 0 {
		pos++
	}
	if pos >= len(src) {
		return token{kind: tEOF, start: pos, end: pos}
	}
	tok := func(k tokenKind, n int) token {
		return token{kind: k, text: src[pos : pos+n], start: pos, end: pos + n}
	}
	two := ""
	if pos+1 < len(src) {
		two = src[pos : pos+2]
	}
	switch two {
	case "==", "!=", "<=", ">=":
		return tok(tOp, 2)
	case "&&":
		return tok(tAnd, 2)
	case "||":
		return tok(tOr, 2)
	}
	switch c := src[pos]; c {
	case '<', '>':
		return tok(tOp, 1)
	case '!':
		return tok(tNot, 1)
	case '(':
		return tok(tLParen, 1)
	case ')':
		return tok(tRParen, 1)
	case ']':
		return tok(tRBrack, 1)
	case ',':
		return tok(tComma, 1)
	case '[':
		if !value {
			return tok(tLBrack, 1)
		}
		// [v6] or [v6]:port as one word.
		end := strings.IndexByte(src[pos:], ']')
		if end < 0 {
			return token{kind: tBad, text: "'[' without a closing ']'", start: pos, end: len(src)}
		}
		n := end + 1
		for pos+n < len(src) && strings.IndexByte(wordStop, src[pos+n]) < 0 {
			n++
		}
		return tok(tWord, n)
	case '"':
		end := strings.IndexByte(src[pos+1:], '"')
		if end < 0 {
			return token{kind: tBad, text: "an unterminated quoted string", start: pos, end: len(src)}
		}
		return token{kind: tString, text: src[pos+1 : pos+1+end], start: pos, end: pos + end + 2}
	case '=':
		return token{kind: tBad, text: "'=' (did you mean '=='?)", start: pos, end: pos + 1}
	case '&':
		return token{kind: tBad, text: "'&' (did you mean '&&'?)", start: pos, end: pos + 1}
	case '|':
		return token{kind: tBad, text: "'|' (did you mean '||'?)", start: pos, end: pos + 1}
	}
	n := 0
	for pos+n < len(src) && strings.IndexByte(wordStop, src[pos+n]) < 0 {
		n++
	}
	return tok(tWord, n)
}
