package display

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"gonum.org/v1/plot"
)

type capture struct {
	msgs []map[string]any
	kind []string
}

func (c *capture) Publish(t string, content map[string]any) {
	c.kind = append(c.kind, t)
	c.msgs = append(c.msgs, content)
}

func (c *capture) Input(prompt string, password bool) (string, error) { return "typed:" + prompt, nil }

func TestBundlesCarryTextPlain(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(0, 0, color.White)
	for name, b := range map[string]Bundle{
		"html": HTML("<b>x</b>"), "md": Markdown("# t"), "svg": SVG("<svg/>"), "json": JSON(map[string]int{"a": 1}),
		"image": Image(img), "plot": Plot(plot.New()), "text": Text("t"),
	} {
		if _, ok := b.Data[MIMEText].(string); !ok {
			t.Errorf("%s: no text/plain", name)
		}
		if _, err := json.Marshal(b.Data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestImageIsPNGWithSize(t *testing.T) {
	b := Image(image.NewRGBA(image.Rect(0, 0, 7, 5)))
	raw, err := base64.StdEncoding.DecodeString(b.Data[MIMEPNG].(string))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	if err != nil || cfg.Width != 7 || cfg.Height != 5 {
		t.Fatalf("decoded %v %v", cfg, err)
	}
	if md := b.Metadata[MIMEPNG].(map[string]any); md["width"] != 7 || md["height"] != 5 {
		t.Errorf("metadata %v", md)
	}
}

func TestJSONIsRawJSON(t *testing.T) {
	b := JSON(map[string]int{"peers": 3})
	out, _ := json.Marshal(b.Data)
	if !strings.Contains(string(out), `"application/json":{"peers":3}`) {
		t.Errorf("JSON travels as %s", out)
	}
	if bad := JSON("{not json"); !strings.Contains(bad.Text(), "invalid JSON") {
		t.Errorf("invalid JSON not reported: %q", bad.Text())
	}
}

func TestTableTruncatesAndTypes(t *testing.T) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for i := 0; i < 100; i++ {
		rb.Field(0).(*array.Int64Builder).Append(int64(i))
		rb.Field(1).(*array.StringBuilder).Append("<x>")
	}
	rec := rb.NewRecord()
	defer rec.Release()
	b := TableN(rec, 6, 10)
	h := b.Data[MIMEHTML].(string)
	for _, want := range []string{"int64", "utf8", "<td>0</td>", "<td>2</td>", "<td>97</td>", "<td>99</td>", "…", "100 rows × 2 columns", "&lt;x&gt;"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(h, "<td>50</td>") {
		t.Error("middle rows not elided")
	}
	if strings.Count(h, "<tr>") != 1+7 {
		t.Errorf("%d rows rendered, want header + 3 + gap + 3", strings.Count(h, "<tr>"))
	}
	tbl := array.NewTableFromRecords(schema, []arrow.Record{rec, rec})
	defer tbl.Release()
	if h := Table(tbl).Data[MIMEHTML].(string); !strings.Contains(h, "200 rows") || !strings.Contains(h, "<td>99</td>") {
		t.Error("chunked table not rendered across chunks")
	}
}

func TestPick(t *testing.T) {
	if got := pick(3, 5); len(got) != 3 {
		t.Errorf("pick(3,5) = %v", got)
	}
	got := pick(10, 4)
	want := []int{0, 1, -1, 8, 9}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pick(10,4) = %v, want %v", got, want)
		}
	}
}

func TestSinkMessages(t *testing.T) {
	c := &capture{}
	SetSink(c)
	defer SetSink(nil)
	Display(HTML("<p>a</p>"), 42)
	id := DisplayID(Markdown("v1"))
	Update(id, Markdown("v2"))
	ClearOutput(true)
	if got := strings.Join(c.kind, ","); got != "display_data,display_data,display_data,update_display_data,clear_output" {
		t.Fatalf("messages %s", got)
	}
	if c.msgs[1]["data"].(map[string]any)[MIMEText] != "42" {
		t.Errorf("plain value rendered as %v", c.msgs[1]["data"])
	}
	if c.msgs[3]["transient"].(map[string]any)["display_id"] != id || c.msgs[2]["transient"].(map[string]any)["display_id"] != id {
		t.Error("display_id not carried")
	}
	if c.msgs[4]["wait"] != true {
		t.Error("clear_output wait lost")
	}
	if v, err := Input("name"); err != nil || v != "typed:name" {
		t.Errorf("Input = %q %v", v, err)
	}
}

func TestRepr(t *testing.T) {
	type peer struct{ Port int }
	cases := map[any]string{"s": `"s"`, 3: "3", nil: "nil", peer{7}: "{Port:7}", &peer{8}: "&{Port:8}"}
	for v, want := range cases {
		if got := Repr(v); got != want {
			t.Errorf("Repr(%#v) = %q, want %q", v, got, want)
		}
	}
}

func ExampleHTML() {
	b := HTML("<b>peers</b>: 3")
	fmt.Println(b.Text())
	// Output: peers: 3
}

// A plot whose axis span overflows would hang gonum/plot's tick placement:
// its display is an error bundle naming the axis.
func TestPlotWithAnAxisTooWideIsAnError(t *testing.T) {
	p := plot.New()
	p.Y.Min, p.Y.Max = -1.7e308, 1.4e308
	b := Plot(p)
	text, _ := b.Data[MIMEText].(string)
	if _, isPNG := b.Data[MIMEPNG]; isPNG || !strings.Contains(text, "y axis") {
		t.Errorf("bundle %v", b.Data)
	}
	if b := Plot(plot.New()); b.Data[MIMEPNG] == nil {
		t.Errorf("an empty plot: %v", b.Data)
	}
}
