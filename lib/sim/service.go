package sim

import (
	"fmt"
	"math"
)

// RateStep is one piece of a playback-rate schedule: from At seconds on the
// channel plays Rate chunks/s.
type RateStep struct {
	At   float64 `json:"at_s"`
	Rate float64 `json:"rate"`
}

// serviceCurve is the system service curve s(t) of a live channel: the
// largest chunk ID produced by time t, a piecewise-linear function whose
// slope is the playback rate r(t) (paper §III.A.1: "the system maximal chunk
// ID at any time t as s(t), r(t) = ds/dt"). Chunk c exists from
// π(c) = s⁻¹(c) on; before the first step the first rate extends backwards so
// peers may lag behind time zero.
type serviceCurve struct {
	at   []int64   // step start, ns since capture start
	rate []float64 // chunks/s
	base []float64 // s at at[k]
}

func validateSchedule(name string, steps []RateStep, duration float64) error {
	if len(steps) == 0 {
		return fmt.Errorf("%s: empty rate schedule", name)
	}
	for i, st := range steps {
		if !(st.Rate > 0) || math.IsInf(st.Rate, 0) {
			return fmt.Errorf("%s[%d]: rate must be positive, got %g chunks/s", name, i, st.Rate)
		}
		if math.IsNaN(st.At) || math.IsInf(st.At, 0) || st.At < 0 {
			return fmt.Errorf("%s[%d]: start time must be finite and non-negative, got %g s", name, i, st.At)
		}
		if i == 0 && st.At != 0 {
			return fmt.Errorf("%s[0]: the schedule must start at 0 s, got %g s", name, st.At)
		}
		if i > 0 && st.At <= steps[i-1].At {
			return fmt.Errorf("%s[%d]: start times must increase (%g s after %g s)", name, i, st.At, steps[i-1].At)
		}
		if duration > 0 && st.At >= duration {
			return fmt.Errorf("%s[%d]: starts at %g s, after the end of the capture (%g s)", name, i, st.At, duration)
		}
	}
	return nil
}

func newServiceCurve(s0 float64, steps []RateStep) *serviceCurve {
	sc := &serviceCurve{}
	s := s0
	for i, st := range steps {
		if i > 0 {
			s += steps[i-1].Rate * (st.At - steps[i-1].At)
		}
		sc.at = append(sc.at, sec(st.At))
		sc.rate = append(sc.rate, st.Rate)
		sc.base = append(sc.base, s)
	}
	return sc
}

// seg returns the index of the step in force at t: the last step starting
// at or before t, or the first. (A hand-written search: sort.Search's
// closure cost a few percent of the live generator, which asks three times
// per buffer map.)
func (sc *serviceCurve) seg(t int64) int {
	lo, hi := 0, len(sc.at) // the answer's successor lies in [lo, hi]
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if sc.at[m] > t {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return max(lo-1, 0)
}

// S returns s(t) (real-valued; floor(S) is the newest chunk ID).
func (sc *serviceCurve) S(t int64) float64 {
	k := sc.seg(t)
	return sc.base[k] + sc.rate[k]*float64(t-sc.at[k])/1e9
}

// Newest returns floor(s(t)), the newest chunk produced by t.
func (sc *serviceCurve) Newest(t int64) int64 { return int64(math.Floor(sc.S(t))) }

// R returns r(t).
func (sc *serviceCurve) R(t int64) float64 { return sc.rate[sc.seg(t)] }

// Produced returns π(c) = s⁻¹(c) rounded up to the ns, the first time
// chunk c exists. (Fetch delays are at least a fraction of a second, so the
// ns rounding of this inverse never makes a chunk held before S says it
// exists.)
func (sc *serviceCurve) Produced(c int64) int64 {
	x := float64(c)
	k := 0
	for k+1 < len(sc.base) && sc.base[k+1] <= x {
		k++
	}
	return sc.at[k] + int64(math.Ceil((x-sc.base[k])/sc.rate[k]*1e9))
}
