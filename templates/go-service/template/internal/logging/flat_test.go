package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// The logger from New writes flat records itself. These tests hold every line it writes, flat
// or not, to the bytes slog's own JSON handler writes for the same record.

var when = time.Date(2026, 12, 1, 5, 6, 7, 890123456, time.UTC)

// lines logs r through New's handler and through slog's JSON handler, both with the service
// attribute and whatever with does to them, the context's attributes in ctxAttrs.
func lines(t *testing.T, r slog.Record, ctxAttrs []slog.Attr, with func(slog.Handler) slog.Handler) (got, want string) {
	t.Helper()
	var ours, slogs bytes.Buffer
	level := new(slog.LevelVar)
	level.Set(slog.LevelDebug - 8)
	ctx := context.Background()
	if ctxAttrs != nil {
		ctx = WithAttrs(ctx, ctxAttrs...)
	}
	if err := with(New(&ours, level, "svc").Handler()).Handle(ctx, r.Clone()); err != nil {
		t.Fatal(err)
	}
	ref := slog.NewJSONHandler(&slogs, &slog.HandlerOptions{Level: level}).WithAttrs([]slog.Attr{slog.String("service", "svc")})
	theirs := r.Clone()
	theirs.AddAttrs(ctxAttrs...)
	if err := with(ref).Handle(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	return ours.String(), slogs.String()
}

func record(at time.Time, level slog.Level, msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(at, level, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

type logValuer struct{}

func (logValuer) LogValue() slog.Value { return slog.StringValue("resolved") }

func TestLinesAreTheBytesSlogsJSONHandlerWrites(t *testing.T) {
	same := func(h slog.Handler) slog.Handler { return h }
	access := []slog.Attr{
		slog.String("method", "GET"), slog.String("route", "GET /items/{id}"), slog.String("path", "/items/7"),
		slog.Int("status", 200), slog.Int64("bytes", 42), slog.Duration("duration", 1234567*time.Nanosecond),
	}
	ids := []slog.Attr{slog.String("request_id", "7f3a"), slog.String("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")}
	tests := []struct {
		name     string
		r        slog.Record
		ctxAttrs []slog.Attr
		with     func(slog.Handler) slog.Handler
	}{
		{"an access log line", record(when, slog.LevelInfo, "request", access...), ids, same},
		{"no attributes", record(when, slog.LevelWarn, "draining", nil...), nil, same},
		{"every flat kind", record(when, slog.LevelDebug, "kinds", slog.Int("i", -3), slog.Uint64("u", 1<<63), slog.Bool("b", true), slog.Bool("f", false), slog.Duration("d", -time.Second)), nil, same},
		{"a level between levels", record(when, slog.LevelError+2, "odd level"), nil, same},
		{"a local time zone", record(when.In(time.FixedZone("X", -(3*3600+1800))), slog.LevelInfo, "zone"), nil, same},
		{"a whole second", record(when.Truncate(time.Second), slog.LevelInfo, "second"), nil, same},
		{"no time", record(time.Time{}, slog.LevelInfo, "timeless", slog.Int("n", 1)), nil, same},
		{"a year past 9999", record(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "future"), nil, same},
		{"a year before 0", record(time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "past"), nil, same},
		{"a message to escape", record(when, slog.LevelInfo, "line\nbreak \"quoted\" \\ tab\t"), nil, same},
		{"a key to escape", record(when, slog.LevelInfo, "key", slog.String("a\"b", "v")), nil, same},
		{"a value to escape", record(when, slog.LevelInfo, "value", slog.String("path", "/caf\u00e9/\x01/<a>&\u2028")), ids, same},
		{"invalid UTF-8", record(when, slog.LevelInfo, "bytes", slog.String("s", "a\xffb")), nil, same},
		{"an empty key", record(when, slog.LevelInfo, "empty key", slog.String("", "v"), slog.Int("", 0)), nil, same},
		{"an empty attribute", record(when, slog.LevelInfo, "empty", slog.Attr{}, slog.Int("n", 1)), nil, same},
		{"a float", record(when, slog.LevelInfo, "float", slog.Float64("f", 0.1)), nil, same},
		{"a time value", record(when, slog.LevelInfo, "time", slog.Time("at", when)), nil, same},
		{"an error", record(when, slog.LevelError, "failed", slog.Any("err", errors.New("boom \"x\""))), nil, same},
		{"a group", record(when, slog.LevelInfo, "group", slog.Group("g", slog.Int("a", 1), slog.String("b", "x"))), ids, same},
		{"a LogValuer", record(when, slog.LevelInfo, "valuer", slog.Any("v", logValuer{})), nil, same},
		{"a duplicate key", record(when, slog.LevelInfo, "dup", slog.Int("n", 1), slog.Int("n", 2)), nil, same},
		{"flat With", record(when, slog.LevelInfo, "with", access...), ids,
			func(h slog.Handler) slog.Handler {
				return h.WithAttrs([]slog.Attr{slog.String("component", "db"), slog.Int("shard", 3)})
			}},
		{"With that is not flat", record(when, slog.LevelInfo, "with", access...), ids,
			func(h slog.Handler) slog.Handler {
				return h.WithAttrs([]slog.Attr{slog.Float64("ratio", 0.5)}).WithAttrs([]slog.Attr{slog.Int("n", 1)})
			}},
		{"WithGroup", record(when, slog.LevelInfo, "grouped", access...), ids,
			func(h slog.Handler) slog.Handler { return h.WithGroup("http").WithAttrs([]slog.Attr{slog.Int("n", 1)}) }},
		{"an empty group name", record(when, slog.LevelInfo, "ungrouped", slog.Int("n", 1)), nil,
			func(h slog.Handler) slog.Handler { return h.WithGroup("") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := lines(t, tt.r, tt.ctxAttrs, tt.with)
			if got != want {
				t.Errorf("logging wrote\n%s\nslog writes\n%s", got, want)
			}
		})
	}
}

// TestRandomRecordsAreTheBytesSlogsJSONHandlerWrites draws records from a fixed seed, mixing
// flat and other values and strings with and without characters to escape.
func TestRandomRecordsAreTheBytesSlogsJSONHandlerWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	plain := []string{"a", "Z", "0", " ", "/", "{", "-", "<", "&", "~"}
	escaped := append([]string{"\"", "\\", "\n", "\x00", "\x7f", "é", "\u2028", "\xff"}, plain...)
	text := func() string { // one in four may need escaping
		alphabet := plain
		if rng.IntN(4) == 0 {
			alphabet = escaped
		}
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	attr := func() slog.Attr {
		key := text()
		switch rng.IntN(8) {
		case 0:
			return slog.Int64(key, rng.Int64()-rng.Int64())
		case 1:
			return slog.Uint64(key, rng.Uint64())
		case 2:
			return slog.Bool(key, rng.IntN(2) == 0)
		case 3:
			return slog.Duration(key, time.Duration(rng.Int64()))
		case 4:
			return slog.Float64(key, rng.Float64())
		default:
			return slog.String(key, text())
		}
	}
	attrs := func(n int) []slog.Attr {
		as := make([]slog.Attr, n)
		for i := range as {
			as[i] = attr()
		}
		return as
	}
	for i := range 3000 {
		at := when.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
		r := record(at, slog.Level(rng.IntN(24)-12), text(), attrs(rng.IntN(9))...)
		withAttrs := attrs(rng.IntN(3))
		with := func(h slog.Handler) slog.Handler { return h.WithAttrs(withAttrs) }
		got, want := lines(t, r, attrs(rng.IntN(3)), with)
		if got != want {
			t.Fatalf("record %d: logging wrote\n%s\nslog writes\n%s", i, got, want)
		}
	}
}

func FuzzLinesAreTheBytesSlogsJSONHandlerWrites(f *testing.F) {
	f.Add("request", "route", "GET /items/{id}", int64(200))
	f.Add("quote\"", "k\\", "\x00\u2028", int64(-1))
	f.Fuzz(func(t *testing.T, msg, key, value string, n int64) {
		r := record(when, slog.LevelInfo, msg, slog.String(key, value), slog.Int64("n", n))
		got, want := lines(t, r, []slog.Attr{slog.String("request_id", value)}, func(h slog.Handler) slog.Handler { return h })
		if got != want {
			t.Errorf("logging wrote\n%s\nslog writes\n%s", got, want)
		}
	})
}

func TestLinesFromManyGoroutinesNeverInterleave(t *testing.T) {
	var out bytes.Buffer
	logger := New(&out, new(slog.LevelVar), "svc")
	grouped := logger.WithGroup("g") // lines through slog's handler, beside the flat ones
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				logger.Info("flat", "goroutine", g, "i", i)
				grouped.Info("grouped", "goroutine", g, "i", i)
			}
		})
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != 8*200*2 {
		t.Fatalf("%d lines, want %d", len(got), 8*200*2)
	}
	for _, line := range got {
		if !json.Valid([]byte(line)) {
			t.Fatalf("not one JSON object: %q", line)
		}
	}
}

// TestLogRequestWritesWhatHandleWritesForTheRecord logs requests drawn from a fixed seed with
// LogRequest and, as a record, with Handle: through New's handler (against slog's JSON handler),
// through New's handler in a group (slog's path) and through a handler that is not New's.
func TestLogRequestWritesWhatHandleWritesForTheRecord(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	texts := []string{"GET", "GET /items/{id}", "/items/7", "", "unmatched", "/caf\u00e9", "/a\"b", "/x\\y", "/\n", "/\xff"}
	pick := func() string { return texts[rng.IntN(len(texts))] }
	idAttrs := []slog.Attr{slog.String("request_id", "7f3a"), slog.String("trace_id", "4bf9"), slog.String("odd", "a\"b"), slog.Float64("f", 0.5)}
	level := new(slog.LevelVar)
	level.Set(slog.LevelDebug - 8)
	for i := range 1000 {
		req := Request{Method: pick(), Route: pick(), Path: pick(), Status: rng.IntN(600),
			Bytes: rng.Int64N(1 << 40), Duration: time.Duration(rng.Int64() - rng.Int64())}
		at := when.Add(time.Duration(rng.Int64N(int64(time.Hour))))
		lvl := slog.Level(rng.IntN(24) - 12)
		ctx := context.Background()
		ctxAttrs := idAttrs[:rng.IntN(len(idAttrs)+1)]
		if len(ctxAttrs) > 0 {
			ctx = WithAttrs(ctx, ctxAttrs...)
		}
		asRecord := func() slog.Record {
			return record(at, lvl, "request", slog.String("method", req.Method), slog.String("route", req.Route),
				slog.String("path", req.Path), slog.Int("status", req.Status), slog.Int64("bytes", req.Bytes),
				slog.Duration("duration", req.Duration))
		}
		for _, h := range []struct {
			name string
			make func(w io.Writer) slog.Handler
		}{
			{"New's", func(w io.Writer) slog.Handler { return New(w, level, "svc").Handler() }},
			{"New's in a group", func(w io.Writer) slog.Handler { return New(w, level, "svc").Handler().WithGroup("g") }},
			{"slog's text", func(w io.Writer) slog.Handler {
				return slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
			}},
		} {
			var got, want bytes.Buffer
			if err := LogRequest(ctx, h.make(&got), lvl, at, req); err != nil {
				t.Fatal(err)
			}
			if err := h.make(&want).Handle(ctx, asRecord()); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("request %d through %s handler: LogRequest wrote\n%s\nHandle writes\n%s", i, h.name, got.String(), want.String())
			}
		}
		// And New's handler against slog's own JSON handler.
		got, want := lines(t, asRecord(), ctxAttrs, func(h slog.Handler) slog.Handler { return h })
		var viaLogRequest bytes.Buffer
		if err := LogRequest(ctx, New(&viaLogRequest, level, "svc").Handler(), lvl, at, req); err != nil {
			t.Fatal(err)
		}
		if got != want || viaLogRequest.String() != want {
			t.Fatalf("request %d: LogRequest wrote\n%s\nslog writes\n%s", i, viaLogRequest.String(), want)
		}
	}
}

// TestHandleLeavesTheCallersRecordAlone hands one record to two handlers, as a handler that fans
// out does: adding the context's attributes to one must not show in the other.
func TestHandleLeavesTheCallersRecordAlone(t *testing.T) {
	attrs := []slog.Attr{slog.Float64("ratio", 0.5)} // not flat: slog's handler writes it
	for i := range 20 {
		attrs = append(attrs, slog.Int(fmt.Sprintf("a%d", i), i))
	}
	r := record(when, slog.LevelInfo, "fan out", attrs...)
	ctx := WithAttrs(context.Background(), slog.String("request_id", "r1"))
	var first, second bytes.Buffer
	for _, out := range []*bytes.Buffer{&first, &second} {
		if err := New(out, new(slog.LevelVar), "svc").Handler().Handle(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if first.String() != second.String() || !strings.Contains(second.String(), `"request_id":"r1"}`) {
		t.Errorf("the two handlers wrote\n%s%s", first.String(), second.String())
	}
}

func TestHandleTakesANilContext(t *testing.T) {
	var out bytes.Buffer
	var ctx context.Context // slog passes what its caller gave it, nil included
	if err := New(&out, new(slog.LevelVar), "svc").Handler().Handle(ctx, record(when, slog.LevelInfo, "no context")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"msg":"no context"`) {
		t.Errorf("wrote %q, want the line", out.String())
	}
}
