package logging

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer the Output's timer may write to while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// messages returns the msg of each line written so far, in order.
func (b *syncBuffer) messages(t *testing.T) []string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var msgs []string
	for _, line := range strings.Split(strings.TrimSuffix(b.buf.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		_, rest, ok := strings.Cut(line, `"msg":"`)
		msg, _, _ := strings.Cut(rest, `"`)
		if !ok {
			t.Fatalf("line without msg: %q", line)
		}
		msgs = append(msgs, msg)
	}
	return msgs
}

func logAccess(t *testing.T, logger *slog.Logger, path string) {
	t.Helper()
	if err := LogRequest(context.Background(), logger.Handler(), slog.LevelInfo, time.Now(), Request{Method: "GET", Route: "GET /", Path: path, Status: 200}); err != nil {
		t.Fatal(err)
	}
}

func TestAccessLinesWaitForTheDelayThenAreWritten(t *testing.T) {
	var out syncBuffer
	logger := New(NewOutput(&out, 50*time.Millisecond), new(slog.LevelVar), "svc")
	logAccess(t, logger, "/a")
	logAccess(t, logger, "/b")
	if got := out.messages(t); len(got) != 0 {
		t.Fatalf("written at once: %q, want the access lines held", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(out.messages(t)) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := strings.Join(out.messages(t), " "); got != "request request" {
		t.Errorf("after the delay: %q, want both access lines", got)
	}
	logAccess(t, logger, "/c") // the timer arms again
	for len(out.messages(t)) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := len(out.messages(t)); got != 3 {
		t.Errorf("%d lines after a second delay, want 3", got)
	}
}

func TestOtherLinesAreWrittenAtOnceAfterTheAccessLinesBeforeThem(t *testing.T) {
	var out syncBuffer
	logger := New(NewOutput(&out, time.Hour), new(slog.LevelVar), "svc")
	logAccess(t, logger, "/a")
	logger.Warn("slow disk")
	logger.WithGroup("db").Error("query failed", "table", "items") // through slog's own handler
	logAccess(t, logger, "/b")
	if got, want := strings.Join(out.messages(t), " "), "request slow disk query failed"; got != want {
		t.Errorf("written %q, want %q: the first access line before the others, the last one held", got, want)
	}
}

func TestFlushWritesTheAccessLinesHeld(t *testing.T) {
	var out syncBuffer
	logs := NewOutput(&out, time.Hour)
	logger := New(logs, new(slog.LevelVar), "svc")
	logAccess(t, logger, "/a")
	if err := logs.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.messages(t); len(got) != 1 {
		t.Errorf("after Flush: %q, want the one access line", got)
	}
	if err := logs.Flush(); err != nil || len(out.messages(t)) != 1 {
		t.Errorf("a second Flush: %v, %d lines; want nothing more written", err, len(out.messages(t)))
	}
}

func TestAccessLinesAreWrittenOnceTheyFill32KiB(t *testing.T) {
	var out syncBuffer
	logger := New(NewOutput(&out, time.Hour), new(slog.LevelVar), "svc")
	path := "/" + strings.Repeat("x", 1000)
	n := 0
	for len(out.messages(t)) == 0 {
		if n++; n > 40 {
			t.Fatal("40 lines of 1 KiB held, want them written at 32 KiB")
		}
		logAccess(t, logger, path)
	}
	out.mu.Lock()
	written := out.buf.Len()
	out.mu.Unlock()
	if lineLen := written / n; len(out.messages(t)) != n || written < maxHeld || written-lineLen >= maxHeld {
		t.Errorf("%d lines, %d bytes written after %d logged, want all of them once they reached %d bytes", len(out.messages(t)), written, n, maxHeld)
	}
}

func TestWithoutDelayEveryLineIsWrittenAtOnce(t *testing.T) {
	for _, w := range []func(*syncBuffer) *slog.Logger{
		func(out *syncBuffer) *slog.Logger { return New(NewOutput(out, 0), new(slog.LevelVar), "svc") },
		func(out *syncBuffer) *slog.Logger { return New(out, new(slog.LevelVar), "svc") },
	} {
		var out syncBuffer
		logAccess(t, w(&out), "/a")
		if got := out.messages(t); len(got) != 1 {
			t.Errorf("written %q, want the access line at once", got)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsReachTheCaller(t *testing.T) {
	logs := NewOutput(failingWriter{}, time.Hour)
	logger := New(logs, new(slog.LevelVar), "svc")
	logAccess(t, logger, "/a") // held: nothing written yet, nothing failed
	if err := logs.Flush(); err == nil {
		t.Error("Flush: no error, want the writer's")
	}
	if err := logger.Handler().Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "x", 0)); err == nil {
		t.Error("Handle: no error, want the writer's")
	}
}
