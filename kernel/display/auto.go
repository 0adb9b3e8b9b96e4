package display

import (
	"fmt"
	"image"
	"reflect"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"gonum.org/v1/plot"
)

// Rich returns the rich bundle for the value types the kernel renders without
// an explicit call — Bundle, *plot.Plot, arrow.Record, arrow.Table,
// arrow.Array and image.Image — and false for any other value.
func Rich(v any) (Bundle, bool) {
	switch x := v.(type) {
	case Bundle:
		return x, true
	case *Bundle:
		if x == nil {
			return Bundle{}, false
		}
		return *x, true
	case *plot.Plot:
		if x == nil {
			return Bundle{}, false
		}
		return Plot(x), true
	case arrow.Record:
		return Table(x), true
	case arrow.Table:
		return Table(x), true
	case arrow.Array:
		return Table(x), true
	case image.Image:
		return Image(x), true
	}
	return Bundle{}, false
}

// Auto returns the bundle of any value: the rich rendering when Rich knows
// the type, else text/plain in Go syntax-like form (Repr).
func Auto(v any) Bundle {
	if b, ok := Rich(v); ok {
		return b
	}
	return Text(Repr(v))
}

// Repr formats a value the way the kernel shows Out[n]: strings quoted, byte
// slices and other values as fmt's %v, errors by their message, nil as nil.
func Repr(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return strconv.Quote(x)
	case error:
		return "error: " + x.Error()
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		if rv.IsNil() {
			return fmt.Sprintf("%s(nil)", rv.Type())
		}
	}
	if rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct {
		return fmt.Sprintf("&%+v", rv.Elem().Interface())
	}
	if rv.Kind() == reflect.Struct {
		return fmt.Sprintf("%+v", v)
	}
	return fmt.Sprintf("%v", v)
}
