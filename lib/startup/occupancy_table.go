package startup

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/rate"
)

// OccupancyFromTables computes the occupancy probability P_m, m = 0…M (see
// Occupancy), over every live buffer map of one channel ("" for the channel
// with the most maps) in a normalised buffer_maps table. The newest chunk at
// time t is the service curve s(t) fitted by PLEA and its reset extraction
// (follow-up time delta seconds) on the largest scope per bin-second bin
// over the peers' maps and, when trackerOffsets is not nil, the tracker's
// TkOffMax (the seeder holds the newest chunks; peers' scopes lag), rounded
// down.
func OccupancyFromTables(bufferMaps, trackerOffsets arrow.Table, channel string, bin, delta float64, M int) ([]float64, error) {
	bms, err := liveMaps(bufferMaps, channel)
	if err != nil {
		return nil, err
	}
	if channel == "" {
		channel = bms[0].From // liveMaps reports the channel it chose here
		for i := range bms {
			bms[i].From = ""
		}
	}
	// times relative to the first map keep float64 precision in the fits
	t0 := bms[0].T
	for _, b := range bms {
		t0 = math.Min(t0, b.T)
	}
	var scopes []rate.Point
	for i := range bms {
		bms[i].T -= t0
		if xi, ok := bms[i].Scope(); ok {
			scopes = append(scopes, rate.Point{T: bms[i].T, Y: float64(xi)})
		}
	}
	if trackerOffsets != nil {
		err := dataset.EachRecord(trackerOffsets, "tracker_offsets", []string{"time_ns", "channel", "tk_off_max"}, func(c dataset.Columns) error {
			var ts, hi *array.Int64
			var ch *array.String
			if err := c.Bind(&ts, &ch, &hi); err != nil {
				return err
			}
			for i := 0; i < c.Rows(); i++ {
				if (ch.IsValid(i) && ch.Value(i) == channel) || (!ch.IsValid(i) && channel == "") {
					scopes = append(scopes, rate.Point{T: float64(ts.Value(i))/1e9 - t0, Y: float64(hi.Value(i))})
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("startup: %w", err)
		}
	}
	s, err := rate.ServiceCurve(scopes, bin)
	if err != nil {
		return nil, err
	}
	env, err := rate.PLEA(s, delta)
	if err != nil {
		return nil, err
	}
	rr, err := rate.RateResets(env, delta, rate.ResetOptions{})
	if err != nil {
		return nil, err
	}
	if len(rr.Segments) == 0 {
		return nil, errors.New("startup: occupancy: too few buffer maps with a chunk to fit the service curve")
	}
	return Occupancy(bms, func(t float64) int64 {
		y, _ := rr.ServiceAt(t)
		return int64(math.Floor(y))
	}, M)
}

// liveMaps returns the live buffer maps of one channel ("" for the channel
// with the most maps), times in seconds since the Unix epoch; From carries
// the channel's name.
func liveMaps(bufferMaps arrow.Table, channel string) ([]BufferMap, error) {
	byCh := map[string][]BufferMap{}
	err := dataset.EachRecord(bufferMaps, "buffer_maps", []string{"time_ns", "channel", "mode", "offset", "width", "bitmap"}, func(c dataset.Columns) error {
		var ts, off *array.Int64
		var ch, mode *array.String
		var wid *array.Int32
		var bm *array.Binary
		if err := c.Bind(&ts, &ch, &mode, &off, &wid, &bm); err != nil {
			return err
		}
		for i := 0; i < c.Rows(); i++ {
			if mode.Value(i) != "live" {
				continue
			}
			k := ""
			if ch.IsValid(i) {
				k = ch.Value(i)
			}
			byCh[k] = append(byCh[k], BufferMap{T: float64(ts.Value(i)) / 1e9, Offset: off.Value(i), Width: int(wid.Value(i)), Bitmap: slices.Clone(bm.Value(i))})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("startup: %w", err)
	}
	if channel == "" {
		for k, v := range byCh {
			if channel == "" || len(v) > len(byCh[channel]) || (len(v) == len(byCh[channel]) && k < channel) {
				channel = k
			}
		}
	}
	if len(byCh[channel]) == 0 {
		return nil, errors.New("startup: occupancy: no live buffer maps for channel " + channel)
	}
	out := byCh[channel]
	for i := range out {
		out[i].From = channel
	}
	return out, nil
}
