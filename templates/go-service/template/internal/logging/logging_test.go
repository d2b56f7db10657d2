package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestNewWritesJSONLinesAtOrAboveTheLevel(t *testing.T) {
	tests := []struct {
		name    string
		level   slog.Level
		log     func(*slog.Logger)
		wantMsg []string
	}{
		{"info hides debug", slog.LevelInfo, func(l *slog.Logger) { l.Debug("hidden"); l.Info("shown") }, []string{"shown"}},
		{"debug shows debug", slog.LevelDebug, func(l *slog.Logger) { l.Debug("a"); l.Info("b") }, []string{"a", "b"}},
		{"error hides warn", slog.LevelError, func(l *slog.Logger) { l.Warn("hidden"); l.Error("shown") }, []string{"shown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			level := new(slog.LevelVar)
			level.Set(tt.level)
			tt.log(New(&out, level, "svc"))

			var got []string
			dec := json.NewDecoder(&out)
			for dec.More() {
				var line map[string]any
				if err := dec.Decode(&line); err != nil {
					t.Fatalf("output is not JSON lines: %v\n%s", err, out.String())
				}
				for _, key := range []string{"time", "level", "msg", "service"} {
					if _, ok := line[key]; !ok {
						t.Errorf("line %v has no %q", line, key)
					}
				}
				got = append(got, line["msg"].(string))
			}
			if !slices.Equal(got, tt.wantMsg) {
				t.Errorf("messages = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

func TestNewFollowsLevelChanges(t *testing.T) {
	var out bytes.Buffer
	level := new(slog.LevelVar)
	logger := New(&out, level, "svc")
	logger.Debug("before")
	level.Set(slog.LevelDebug)
	logger.Debug("after")

	var line struct{ Msg, Level string }
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("want exactly one JSON line, got %q: %v", out.String(), err)
	}
	if line.Msg != "after" || line.Level != "DEBUG" {
		t.Errorf("line = %+v, want msg after at DEBUG", line)
	}
}

func TestRecordsCarryTheServiceAndTheirContextsAttributes(t *testing.T) {
	var out bytes.Buffer
	logger := New(&out, new(slog.LevelVar), "orders")
	ctx := WithAttrs(context.Background(), slog.String("request_id", "r1"))
	ctx = WithAttrs(ctx, slog.String("trace_id", "t1"))
	logger.InfoContext(ctx, "handled", "status", 200)
	logger.With("component", "db").InfoContext(context.Background(), "plain")

	dec := json.NewDecoder(&out)
	var first, second map[string]any
	if err := dec.Decode(&first); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&second); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{"service": "orders", "request_id": "r1", "trace_id": "t1", "status": 200.0} {
		if first[key] != want {
			t.Errorf("first line %s = %v, want %v", key, first[key], want)
		}
	}
	if second["service"] != "orders" || second["component"] != "db" || second["request_id"] != nil {
		t.Errorf("second line = %v, want the service and component and no request_id", second)
	}
}

func TestContextAttributesStayAtTheTopLevelOfAGroupedLogger(t *testing.T) {
	var out bytes.Buffer
	logger := New(&out, new(slog.LevelVar), "orders")
	ctx := WithAttrs(context.Background(), slog.String("request_id", "r1"))
	logger.WithGroup("db").With("table", "items").InfoContext(ctx, "query", "rows", 3)

	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON line, got %q: %v", out.String(), err)
	}
	db, _ := line["db"].(map[string]any)
	if line["request_id"] != "r1" || line["service"] != "orders" || db["table"] != "items" || db["rows"] != 3.0 || db["request_id"] != nil {
		t.Errorf("line = %v, want request_id and service at the top, table and rows in db", line)
	}
}

func TestTheHandlersOptionsApplyToContextAttributes(t *testing.T) {
	var out bytes.Buffer
	redact := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "request_id" {
			a.Value = slog.StringValue("redacted")
		}
		return a
	}
	logger := slog.New(ContextHandler(slog.NewJSONHandler(&out, &slog.HandlerOptions{ReplaceAttr: redact})))
	logger.InfoContext(WithAttrs(context.Background(), slog.String("request_id", "r1")), "handled")
	if !strings.Contains(out.String(), `"request_id":"redacted"`) {
		t.Errorf("line = %s, want ReplaceAttr applied to the context's request_id", out.String())
	}
}
