package session

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sort"
)

// rtPath is the import path of the kernel's runtime hooks inside cells and
// rtName the name it is imported under by the prelude.
const (
	rtPath = "peerscope/rt"
	rtName = "__psrt"
)

// prelude is evaluated in every new session. It fills builtins yaegi v0.16.1
// lacks (min, max and clear, Go 1.21; traefik/yaegi#1674) with functions of
// the same names: min and max are generic over ordered types (mixing untyped
// float and int constants needs an explicit float literal), clear handles
// maps and slices through reflection.
const prelude = `import ` + rtName + ` "` + rtPath + `"

type __psOrdered interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr | ~float32 | ~float64 | ~string
}

func min[T __psOrdered](x T, y ...T) T {
	for _, v := range y {
		if v < x {
			x = v
		}
	}
	return x
}

func max[T __psOrdered](x T, y ...T) T {
	for _, v := range y {
		if v > x {
			x = v
		}
	}
	return x
}

func clear(x interface{}) { ` + rtName + `.Clear(x) }
`

// slicesFill adds to package slices the functions yaegi v0.16.1 leaves out
// of its generic sources, with non-generic signatures over any slice.
const slicesFill = `package slices

import rt "` + rtPath + `"

// Sort sorts a slice of an ordered element type in increasing order.
func Sort(x interface{}) { rt.SortAny(x) }

// SortStable is Sort (already stable).
func SortStable(x interface{}) { rt.SortAny(x) }

// SortFunc sorts x by cmp, a func(a, b E) int, keeping equal elements in order.
func SortFunc(x interface{}, cmp interface{}) { rt.SortFuncAny(x, cmp) }

// SortStableFunc is SortFunc.
func SortStableFunc(x interface{}, cmp interface{}) { rt.SortFuncAny(x, cmp) }

// IsSorted reports whether x is sorted in increasing order.
func IsSorted(x interface{}) bool { return rt.IsSortedAny(x) }

// BinarySearch searches target in the sorted slice x.
func BinarySearch(x interface{}, target interface{}) (int, bool) { return rt.BinarySearchAny(x, target) }
`

// exitSignal is the panic value os.Exit raises inside a cell.
type exitSignal struct{ code int }

func (e exitSignal) Error() string { return fmt.Sprintf("os.Exit(%d)", e.code) }

// clearValue implements the clear builtin for maps and slices.
func clearValue(x any) {
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Map, reflect.Slice:
		v.Clear()
	case reflect.Invalid:
	default:
		panic(fmt.Sprintf("invalid argument: clear(%T): not a map or slice", x))
	}
}

// Non-generic stand-ins for the slices functions yaegi v0.16.1 leaves out of
// its generic standard library (stdlib/generic: Sort, SortFunc, … are
// commented out). They take any slice; common element types take the
// compiled generic path, others sort by reflection.

func sortAny(x any) {
	switch s := x.(type) {
	case []int:
		slices.Sort(s)
	case []int64:
		slices.Sort(s)
	case []int32:
		slices.Sort(s)
	case []uint64:
		slices.Sort(s)
	case []uint32:
		slices.Sort(s)
	case []float64:
		slices.Sort(s)
	case []float32:
		slices.Sort(s)
	case []string:
		slices.Sort(s)
	default:
		v := mustSlice("Sort", x)
		sort.SliceStable(x, func(i, j int) bool { return compareValues(v.Index(i), v.Index(j)) < 0 })
	}
}

func isSortedAny(x any) bool {
	v := mustSlice("IsSorted", x)
	for i := 1; i < v.Len(); i++ {
		if compareValues(v.Index(i), v.Index(i-1)) < 0 {
			return false
		}
	}
	return true
}

func sortFuncAny(x any, cmpFn any) {
	v := mustSlice("SortFunc", x)
	f := reflect.ValueOf(cmpFn)
	sort.SliceStable(x, func(i, j int) bool {
		return f.Call([]reflect.Value{v.Index(i), v.Index(j)})[0].Int() < 0
	})
}

func binarySearchAny(x any, target any) (int, bool) {
	v := mustSlice("BinarySearch", x)
	t := reflect.ValueOf(target)
	i := sort.Search(v.Len(), func(i int) bool { return compareValues(v.Index(i), t) >= 0 })
	return i, i < v.Len() && compareValues(v.Index(i), t) == 0
}

func mustSlice(fn string, x any) reflect.Value {
	v := reflect.ValueOf(x)
	if v.Kind() != reflect.Slice {
		panic(fmt.Sprintf("slices.%s: %T is not a slice", fn, x))
	}
	return v
}

// compareValues orders two values of an ordered kind like cmp.Compare.
func compareValues(a, b reflect.Value) int {
	switch {
	case a.CanInt() && b.CanInt():
		return cmp.Compare(a.Int(), b.Int())
	case a.CanUint() && b.CanUint():
		return cmp.Compare(a.Uint(), b.Uint())
	case a.CanFloat() && b.CanFloat():
		return cmp.Compare(a.Float(), b.Float())
	case a.Kind() == reflect.String && b.Kind() == reflect.String:
		return cmp.Compare(a.String(), b.String())
	}
	panic(fmt.Sprintf("cannot compare %s with %s", a.Type(), b.Type()))
}
