package widgets_test

import (
	"fmt"

	"github.com/peerscope/peerscope/kernel/display"
	"github.com/peerscope/peerscope/kernel/widgets"
)

// Outside a kernel the widgets keep their state, Interact calls its function
// at once and after every change, and the display package prints each
// result's text form; in a notebook the same code shows a live slider and
// redraws the result in place when it moves.
func ExampleInteract() {
	n := widgets.NewIntSlider("n", 1, 10, 1, 3)
	in := widgets.Interact(func() any { return display.Text(fmt.Sprintf("n² = %d", n.Value()*n.Value())) }, n)
	n.SetValue(12) // clamped to the slider's range, and f runs again
	fmt.Println(n.Value(), in.Runs(), in.Result().Text())
	// Output:
	// VBox(IntSlider(value=3, description="n"))
	// n² = 9
	// n² = 100
	// 10 2 n² = 100
}
